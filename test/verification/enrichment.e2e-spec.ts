import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type pg from 'pg';
import type { CreatedClient } from '../../src/modules/credentials/credential-views.js';
import { OperatorsService } from '../../src/modules/operators/operators.service.js';
import { VerificationJobs } from '../../src/modules/verification/verification.jobs.js';
import { startTestApp } from '../support/test-app.js';
import { createTestDatabase, type TestDatabase, itOnPostgres } from '../support/test-database.js';
import { VerificationKit, verifyBody, type Reply } from './verification-kit.js';

interface EnrichmentBody {
  success: boolean;
  messages: { type: string; code: string | null }[];
  data: { authmatechCode: string | null; MNOID: string; sdkSessionId: string };
}

const LIVE_OPERATOR = {
  id: 'LIVE_JO',
  name: 'Live operator with a real enrichment proxy',
  country: 'JO',
  numberPrefixes: ['+96276'],
  enrichmentHeader: 'X-MSISDN',
  trustedRanges: ['10.20.0.0/16', '2001:db8::/32'],
};

function expectNoResult(reply: Reply, operatorId: string): void {
  expect(reply.statusCode).toBe(200);
  expect(reply.json<EnrichmentBody>()).toEqual({
    success: true,
    messages: [
      {
        type: 'WARNING',
        code: 'sdk_no_he_result',
        message: expect.any(String),
        httpStatus: 'OK',
        technical: false,
        arguments: null,
      },
    ],
    data: {
      authmatechCode: null,
      MNOID: operatorId,
      sdkSessionId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    },
  });
}

describe('GET /v1/he/{operatorId}', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let proxied: NestFastifyApplication | undefined;
  let kit: VerificationKit;
  let sandbox: CreatedClient;
  let live: CreatedClient;

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await startTestApp(database, { OPERATOR_DEADLINE_MS: '200' });
    kit = new VerificationKit(app);
    sandbox = await kit.client('SANDBOX');
    live = await kit.client('LIVE');
    await app.get(OperatorsService).register(LIVE_OPERATOR);
  });

  afterAll(async () => {
    await proxied?.close();
    await app?.close();
    await database?.drop();
  });

  it('issues an opaque proof, the operator id and a session id for a sandbox number', async () => {
    const reply = await kit.enrich(sandbox, { sandboxMsisdn: '+962791234567' });
    expect(reply.statusCode).toBe(200);
    const body = reply.json<EnrichmentBody>();
    expect(body).toEqual({
      success: true,
      messages: [
        {
          type: 'SUCCESS',
          code: null,
          message: null,
          httpStatus: 'OK',
          technical: false,
          arguments: null,
        },
      ],
      data: {
        authmatechCode: expect.any(String),
        MNOID: 'ZAIN_JO',
        sdkSessionId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      },
    });
    const proof = body.data.authmatechCode!;
    expect(proof.split('.')).toHaveLength(5);
    expect(proof).not.toContain('962791234567');
    const header = JSON.parse(Buffer.from(proof.split('.')[0], 'base64url').toString()) as Record<
      string,
      unknown
    >;
    expect(header).toEqual({ alg: 'dir', enc: 'A256GCM', kid: expect.any(String) });
  });

  it('answers sdk_no_he_result for the sandbox number whose enrichment fails', async () => {
    expectNoResult(await kit.enrich(sandbox, { sandboxMsisdn: '+962790000001' }), 'ZAIN_JO');
  });

  it("answers sdk_no_he_result for a number that is not the operator's subscriber", async () => {
    expectNoResult(await kit.enrich(sandbox, { sandboxMsisdn: '+962771234567' }), 'ZAIN_JO');
  });

  it('answers 503 OPERATOR_UNAVAILABLE for the sandbox numbers whose operator is down or too slow', async () => {
    for (const number of ['+962790000503', '+962790000504']) {
      const reply = await kit.enrich(sandbox, { sandboxMsisdn: number });
      expect(reply.statusCode).toBe(503);
      expect(reply.json()).toMatchObject({
        success: false,
        messages: [{ code: 'OPERATOR_UNAVAILABLE' }],
        data: null,
      });
    }
  });

  it('refuses X-Sandbox-Msisdn from a LIVE client', async () => {
    const reply = await kit.enrich(live, { sandboxMsisdn: '+962791234567' });
    expect(reply.statusCode).toBe(400);
    expect(reply.json()).toMatchObject({ messages: [{ code: 'SANDBOX_HEADER_NOT_ALLOWED' }] });
  });

  it('refuses a sandbox number that is not E.164', async () => {
    const reply = await kit.enrich(sandbox, { sandboxMsisdn: '0791234567' });
    expect(reply.statusCode).toBe(400);
    expect(reply.json()).toMatchObject({ messages: [{ code: 'INVALID_MOBILE_NUMBER' }] });
  });

  it('answers 400 INVALID_OPERATOR for an unknown operator and 401 without an SDK token', async () => {
    expect(
      (await kit.enrich(sandbox, { operatorId: 'NOPE_XX', sandboxMsisdn: '+962791234567' })).json(),
    ).toMatchObject({ messages: [{ code: 'INVALID_OPERATOR' }] });
    const anonymous = await app.inject({
      method: 'GET',
      url: '/v1/he/ZAIN_JO',
      headers: { 'x-client-id': sandbox.clientId },
    });
    expect(anonymous.statusCode).toBe(401);
  });

  describe("a real operator's enrichment header", () => {
    it("is trusted from the operator's proxy ranges, and its proof belongs to that client only", async () => {
      const reply = await kit.enrich(live, {
        operatorId: 'LIVE_JO',
        remoteAddress: '10.20.3.4',
        headers: { 'x-msisdn': '962761234567' },
      });
      const body = reply.json<EnrichmentBody>();
      expect(body.messages[0].type).toBe('SUCCESS');
      expect(body.data.MNOID).toBe('LIVE_JO');
      // The LIVE client has no credits; the sandbox client may not use a LIVE client's proof.
      const stolen = await kit.verify(
        sandbox,
        verifyBody({
          operatorId: 'LIVE_JO',
          mobileNumber: '+962761234567',
          encryptedMobileNumber: body.data.authmatechCode,
        }),
      );
      expect(stolen.json()).toMatchObject({
        data: { validNumber: false },
        messages: [{ code: 'PROOF_NOT_ISSUED_TO_CLIENT' }],
      });
    });

    it('is trusted from an IPv6 proxy range too', async () => {
      const reply = await kit.enrich(live, {
        operatorId: 'LIVE_JO',
        remoteAddress: '2001:db8::17',
        headers: { 'x-msisdn': '+962761234567' },
      });
      expect(reply.json<EnrichmentBody>().data.authmatechCode).toEqual(expect.any(String));
    });

    it('is ignored from anywhere else, as on Wi-Fi', async () => {
      expectNoResult(
        await kit.enrich(live, {
          operatorId: 'LIVE_JO',
          remoteAddress: '192.0.2.10',
          headers: { 'x-msisdn': '962761234567' },
        }),
        'LIVE_JO',
      );
    });

    it('is ignored when X-Forwarded-For claims a proxy address but no proxy is trusted', async () => {
      const reply = await kit.enrich(live, {
        operatorId: 'LIVE_JO',
        remoteAddress: '192.0.2.10',
        headers: { 'x-msisdn': '962761234567', 'x-forwarded-for': '10.20.3.4' },
      });
      expectNoResult(reply, 'LIVE_JO');
    });

    // A second gateway on the same database: PostgreSQL only (an in-memory PGlite lives in one app).
    itOnPostgres(
      'is trusted through X-Forwarded-For only when the TCP peer is a configured trusted proxy',
      async () => {
        proxied = await startTestApp(database, { TRUSTED_PROXIES: '192.0.2.10' });
        const proxiedKit = new VerificationKit(proxied);
        const reply = await proxiedKit.enrich(live, {
          operatorId: 'LIVE_JO',
          remoteAddress: '192.0.2.10',
          headers: { 'x-msisdn': '962761234567', 'x-forwarded-for': '10.20.3.4' },
        });
        expect(reply.json<EnrichmentBody>().messages[0].type).toBe('SUCCESS');
      },
    );

    it('is ignored when it is not a plausible number', async () => {
      expectNoResult(
        await kit.enrich(live, {
          operatorId: 'LIVE_JO',
          remoteAddress: '10.20.3.4',
          headers: { 'x-msisdn': 'unknown' },
        }),
        'LIVE_JO',
      );
    });
  });
});

describe('POST /v1/api/sdk/session', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let kit: VerificationKit;
  let db: pg.Client;

  const body = {
    sdkSessionId: 'b1f2c3d4-0000-4000-8000-000000000001',
    mnoId: 'ZAIN_JO',
    authmatechCodePresent: true,
    authmatechCodeHash: 'a3f1c2d4e5f60718293a4b5c6d7e8f90',
    deviceContext: {
      deviceIdHash: '9f86d081884c7d65',
      installationIdHash: '2c26b46b68ffc68f',
      platform: 'android',
      osVersion: '14',
      appVersion: '3.2.1',
      deviceModel: 'Pixel 8',
      manufacturer: 'Google',
      sdkVersion: '1.4.0',
      userAgent: 'Bank/3.2.1 (Android 14)',
    },
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await startTestApp(database);
    kit = new VerificationKit(app);
    db = await database.connect();
  });

  afterAll(async () => {
    await db?.end();
    await app?.close();
    await database?.drop();
  });

  async function post(
    client: CreatedClient,
    payload: unknown,
    remoteAddress = '198.51.100.23',
  ): Promise<Reply> {
    const token = await kit.sdkToken(client);
    return app.inject({
      method: 'POST',
      url: '/v1/api/sdk/session',
      remoteAddress,
      headers: {
        'x-sdk-token': token,
        'x-client-id': client.clientId,
        'x-forwarded-for': '203.0.113.99',
      },
      payload: payload as Record<string, unknown>,
    });
  }

  it('stores the documented body with the client IP taken from the connection', async () => {
    const client = await kit.client('SANDBOX');
    const reply = await post(client, body);
    expect(reply.statusCode).toBe(200);
    expect(reply.json()).toMatchObject({
      success: true,
      data: { sdkSessionId: body.sdkSessionId },
    });
    const { rows } = await db.query('SELECT * FROM sdk_session WHERE client_id = $1', [
      client.clientId,
    ]);
    expect(rows).toEqual([
      expect.objectContaining({
        sdk_session_id: body.sdkSessionId,
        mno_id: 'ZAIN_JO',
        authmatech_code_present: true,
        authmatech_code_hash: body.authmatechCodeHash,
        device_context: body.deviceContext,
        client_ip: '198.51.100.23',
      }),
    ]);
  });

  it('refuses a client IP in the body, unknown device fields and a missing flag', async () => {
    const client = await kit.client('SANDBOX');
    for (const payload of [
      { ...body, clientIp: '1.2.3.4' },
      { ...body, deviceContext: { ...body.deviceContext, ipAddress: '1.2.3.4' } },
      { ...body, authmatechCodePresent: undefined },
      { ...body, authmatechCodeHash: 'short' },
    ]) {
      const reply = await post(client, payload);
      expect(reply.statusCode).toBe(400);
      expect(reply.json()).toMatchObject({
        success: false,
        messages: [{ code: 'VALIDATION_ERROR' }],
      });
    }
  });

  it("keeps each client's sessions apart even when they use the same session id", async () => {
    const first = await kit.client('SANDBOX');
    const second = await kit.client('SANDBOX');
    await post(first, body, '198.51.100.1');
    await post(second, { ...body, mnoId: 'ORANGE_JO' }, '198.51.100.2');
    await post(first, { ...body, authmatechCodePresent: false }, '198.51.100.3');
    const { rows } = await db.query<{
      client_id: string;
      mno_id: string;
      client_ip: string;
      authmatech_code_present: boolean;
    }>(
      'SELECT client_id, mno_id, client_ip, authmatech_code_present FROM sdk_session WHERE client_id = ANY($1) ORDER BY client_ip',
      [[first.clientId, second.clientId]],
    );
    expect(rows).toEqual([
      {
        client_id: second.clientId,
        mno_id: 'ORANGE_JO',
        client_ip: '198.51.100.2',
        authmatech_code_present: true,
      },
      {
        client_id: first.clientId,
        mno_id: 'ZAIN_JO',
        client_ip: '198.51.100.3',
        authmatech_code_present: false,
      },
    ]);
  });
});

describe(VerificationJobs.name, () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let db: pg.Client;

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await startTestApp(database);
    db = await database.connect();
  });

  afterAll(async () => {
    await db?.end();
    await app?.close();
    await database?.drop();
  });

  it('purges spent proofs and enrichment sessions nobody can use any more, and keeps recent ones', async () => {
    await db.query(`INSERT INTO proof_use (jti, client_id, used_at) VALUES
      ('00000000-0000-4000-8000-000000000001', 'cli_a', now() - interval '2 days'),
      ('00000000-0000-4000-8000-000000000002', 'cli_a', now())`);
    await db.query(`INSERT INTO enrichment_session (id, client_id, operator_id, outcome, expires_at, created_at) VALUES
      ('00000000-0000-4000-8000-000000000003', 'cli_a', 'ZAIN_JO', 'no_result', now() - interval '3 days', now() - interval '3 days'),
      ('00000000-0000-4000-8000-000000000004', 'cli_a', 'ZAIN_JO', 'no_result', now(), now())`);
    await expect(app.get(VerificationJobs).purge()).resolves.toEqual({ proofs: 1, sessions: 1 });
    const { rows } = await db.query<{ count: string }>(
      'SELECT (SELECT count(*) FROM proof_use) + (SELECT count(*) FROM enrichment_session) AS count',
    );
    expect(Number(rows[0].count)).toBe(2);
  });
});
