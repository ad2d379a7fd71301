import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { CreatedClient } from '../../src/modules/credentials/credential-views.js';
import { apiKeyHeaders, createTestAdminKey } from '../support/credentials-factory.js';
import { startTestApp } from '../support/test-app.js';
import { createTestDatabase, itOnPostgres, type TestDatabase } from '../support/test-database.js';
import { VerificationKit, warningOf } from './verification-kit.js';

const run = promisify(execFile);

interface AuditItem {
  action: string;
  clientId: string | null;
  httpStatus: number;
  detail: Record<string, unknown> | null;
  verdict: Record<string, unknown> | null;
  phoneMasked: string | null;
}

describe('web variant: enrichment under a transactionId, check page, verify by transaction', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let kit: VerificationKit;
  let bank: CreatedClient;
  let other: CreatedClient;
  let auditorKey: string;

  async function enrich(client: CreatedClient, transactionId: string, number = '+962791234567') {
    return app.inject({
      method: 'GET',
      url: `/v1/he/ZAIN_JO?transactionId=${transactionId}`,
      headers: {
        'x-client-id': client.clientId,
        'x-sdk-token': await kit.sdkToken(client),
        'x-sandbox-msisdn': number,
      },
    });
  }

  const verifyTransaction = (
    client: CreatedClient,
    transactionId: string,
    mobileNumber = '+962791234567',
  ) =>
    app.inject({
      method: 'POST',
      url: `/v1/api/verify/${transactionId}`,
      headers: apiKeyHeaders(client),
      payload: { mobileNumber, serviceType: 'LOGIN' },
    });

  async function auditOf(client: CreatedClient): Promise<AuditItem[]> {
    const reply = await app.inject({
      method: 'GET',
      url: `/admin/v1/audit/events?clientId=${client.clientId}&limit=500`,
      headers: { authorization: `Bearer ${auditorKey}` },
    });
    expect(reply.statusCode).toBe(200);
    return reply.json<{ items: AuditItem[] }>().items;
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await startTestApp(database);
    kit = new VerificationKit(app);
    bank = await kit.client('SANDBOX');
    other = await kit.client('SANDBOX');
    auditorKey = (await createTestAdminKey(app, 'auditor')).key;
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('opens the session under the transaction id, verifies it once, and links every step in the audit trail', async () => {
    const transactionId = randomUUID();
    const enriched = await enrich(bank, transactionId);
    expect(enriched.statusCode).toBe(200);
    // The proof stays on the gateway; the answer says only that the subscriber was identified.
    expect(enriched.json()).toMatchObject({
      success: true,
      messages: [{ type: 'SUCCESS', code: null }],
      data: { sdkSessionId: transactionId, MNOID: 'ZAIN_JO', authmatechCode: null },
    });

    const first = await verifyTransaction(bank, transactionId);
    expect(warningOf(first)).toEqual({ validNumber: true, code: null, type: 'SUCCESS' });
    const replay = await verifyTransaction(bank, transactionId);
    expect(warningOf(replay)).toMatchObject({ validNumber: false, code: 'PROOF_ALREADY_USED' });

    const linked = (await auditOf(bank)).filter(
      (event) => event.detail?.sdkSessionId === transactionId,
    );
    expect(
      linked.map((event) => [event.action, event.httpStatus, event.verdict]).reverse(),
    ).toEqual([
      ['enrichment', 200, { identified: true }],
      ['verify', 200, { validNumber: true }],
      ['verify', 200, { validNumber: false, reason: 'PROOF_ALREADY_USED' }],
    ]);
    expect(linked.every((event) => event.phoneMasked === '+**********67')).toBe(true);
  });

  it('accepts an upper-case transaction id as the same session', async () => {
    const transactionId = randomUUID().toUpperCase();
    expect((await enrich(bank, transactionId)).json().data.sdkSessionId).toBe(
      transactionId.toLowerCase(),
    );
    expect(warningOf(await verifyTransaction(bank, transactionId)).validNumber).toBe(true);
  });

  it('refuses a transaction id already used, by the same client or another one, without a proof', async () => {
    const transactionId = randomUUID();
    expect((await enrich(bank, transactionId)).statusCode).toBe(200);
    for (const client of [bank, other]) {
      const again = await enrich(client, transactionId);
      expect(again.statusCode).toBe(409);
      expect(again.json()).toEqual({
        success: false,
        messages: [
          expect.objectContaining({
            type: 'FAILURE',
            code: 'resource_already_exists',
            httpStatus: 'CONFLICT',
          }),
        ],
        data: null,
      });
    }
  });

  it("does not let another client verify a client's transaction", async () => {
    const transactionId = randomUUID();
    await enrich(bank, transactionId);
    const stolen = await verifyTransaction(other, transactionId);
    expect(stolen.statusCode).toBe(404);
    expect(stolen.json().messages[0].code).toBe('TRANSACTION_NOT_FOUND');
    expect(warningOf(await verifyTransaction(bank, transactionId)).validNumber).toBe(true);
  });

  it('refuses a transaction id that is not a UUID', async () => {
    const reply = await enrich(bank, 'not-a-uuid');
    expect(reply.statusCode).toBe(400);
    expect(reply.body).not.toContain('not-a-uuid');
  });

  it('links the SDK flow’s verify to its session too', async () => {
    const { proof, sdkSessionId } = await kit.proof(bank);
    expect(
      warningOf(
        await kit.verify(bank, {
          mobileNumber: '+962791234567',
          encryptedMobileNumber: proof,
          operatorId: 'ZAIN_JO',
          serviceType: 'LOGIN',
          sdkSessionId,
        }),
      ).validNumber,
    ).toBe(true);
    const actions = (await auditOf(bank))
      .filter((event) => event.detail?.sdkSessionId === sdkSessionId)
      .map((event) => event.action);
    expect(actions.sort()).toEqual(['enrichment', 'verify']);
  });

  describe('the check page', () => {
    it('is a static page whose only script is pinned by its content security policy', async () => {
      const reply = await app.inject({ method: 'GET', url: '/v1/he/ZAIN_JO/check' });
      expect(reply.statusCode).toBe(200);
      expect(reply.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(reply.headers['cache-control']).toBe('no-store');
      expect(reply.headers['referrer-policy']).toBe('no-referrer');
      const script = /<script>([\s\S]*)<\/script>/.exec(reply.body)![1];
      const hash = createHash('sha256').update(script).digest('base64');
      expect(reply.headers['content-security-policy']).toBe(
        `default-src 'none'; script-src 'sha256-${hash}'; connect-src 'self'; base-uri 'none'; form-action 'none'`,
      );
      // It never holds a secret: credentials arrive by postMessage.
      expect(reply.body).not.toMatch(/mig_(sdk|test|live)_/);
    });

    it('is audited with its operator, and refuses a malformed operator id in the envelope', async () => {
      const correlator = `check-${randomUUID()}`;
      await app.inject({
        method: 'GET',
        url: '/v1/he/UMNIAH_JO/check',
        headers: { 'x-correlator': correlator },
      });
      const events = await app.inject({
        method: 'GET',
        url: `/admin/v1/audit/events?correlationId=${correlator}`,
        headers: { authorization: `Bearer ${auditorKey}` },
      });
      expect(events.json().items).toEqual([
        expect.objectContaining({
          action: 'enrichment.check_page',
          operatorId: 'UMNIAH_JO',
          actorType: 'anonymous',
          httpStatus: 200,
        }),
      ]);
      const bad = await app.inject({ method: 'GET', url: '/v1/he/zain-jo/check' });
      expect(bad.statusCode).toBe(400);
      expect(bad.json()).toMatchObject({ success: false, data: null });
    });
  });

  itOnPostgres(
    'lets an operator show and set a client’s allowed origins from the CLI',
    async () => {
      const env = { ...process.env, ...database.overrides };
      const set = await run(
        'node',
        [
          'dist/cli.js',
          'client:allowed-origins',
          '--client',
          other.clientId,
          '--set',
          'https://cli.bank.example,http://localhost:4100',
          '--json',
        ],
        { env },
      );
      expect(JSON.parse(set.stdout)).toEqual({
        clientId: other.clientId,
        allowedOrigins: ['https://cli.bank.example', 'http://localhost:4100'],
      });
      const shown = await run(
        'node',
        ['dist/cli.js', 'client:allowed-origins', '--client', other.clientId, '--json'],
        { env },
      );
      expect(JSON.parse(shown.stdout).allowedOrigins).toEqual([
        'https://cli.bank.example',
        'http://localhost:4100',
      ]);
      await expect(
        run(
          'node',
          [
            'dist/cli.js',
            'client:allowed-origins',
            '--client',
            other.clientId,
            '--set',
            'https://cli.bank.example/',
          ],
          { env },
        ),
      ).rejects.toMatchObject({ code: 1 });
    },
    60_000,
  );
});
