import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type pg from 'pg';
import type { CreatedClient } from '../../src/modules/credentials/credential-views.js';
import { createTestAdminKey } from '../support/credentials-factory.js';
import { startTestApp } from '../support/test-app.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { FakeUpstream, hang, json, verdictEnvelope } from './fake-upstream.js';
import { VerificationKit, verifyBody, warningOf, type Reply } from './verification-kit.js';

const SEED_SUCCESS =
  '{"success":true,"messages":[{"type":"SUCCESS","code":null,"message":null,"httpStatus":"OK","technical":false,"arguments":null}],"data":{"validNumber":true}}';

/**
 * Gateway B's ZAIN_JO is an `upstream` operator pointing at gateway A (listening on 127.0.0.1 and
 * a random port); the device enriched at A with A's client, whose credentials B holds for ZAIN_JO.
 */
describe('the upstream adapter between two gateways', () => {
  let databaseA: TestDatabase;
  let databaseB: TestDatabase;
  let gatewayA: NestFastifyApplication;
  let gatewayB: NestFastifyApplication;
  let kitA: VerificationKit;
  let kitB: VerificationKit;
  let upstreamClient: CreatedClient;
  let clientB: CreatedClient;
  let adminB: string;
  let fake: FakeUpstream;
  let dbB: pg.Client;

  function admin(
    method: 'POST' | 'PATCH' | 'PUT',
    url: string,
    payload: Record<string, unknown>,
  ): Promise<Reply> {
    return gatewayB.inject({
      method,
      url,
      headers: { authorization: `Bearer ${adminB}` },
      payload,
    });
  }

  beforeAll(async () => {
    [databaseA, databaseB] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    gatewayA = await startTestApp(databaseA);
    await gatewayA.listen({ port: 0, host: '127.0.0.1' });
    gatewayB = await startTestApp(databaseB, {
      OPERATOR_DEADLINE_MS: '500',
      CIRCUIT_BREAKER_VOLUME_THRESHOLD: '50',
    });
    kitA = new VerificationKit(gatewayA);
    kitB = new VerificationKit(gatewayB);
    upstreamClient = await kitA.client('SANDBOX');
    clientB = await kitB.client('LIVE');
    adminB = (await createTestAdminKey(gatewayB, 'admin')).key;
    fake = await FakeUpstream.start(json(500, {}));
    dbB = await databaseB.connect();

    expect(
      (
        await admin('PATCH', '/admin/v1/operators/ZAIN_JO', {
          adapterKind: 'upstream',
          settings: { baseUrl: await gatewayA.getUrl(), clientId: upstreamClient.clientId },
        })
      ).statusCode,
    ).toBe(200);
    expect(
      (
        await admin('PUT', '/admin/v1/operators/ZAIN_JO/secrets/apiKey', {
          value: upstreamClient.apiKey,
        })
      ).statusCode,
    ).toBe(204);
    for (const id of ['FAKE_5XX', 'FAKE_HANG', 'FAKE_BAD']) {
      await admin('POST', '/admin/v1/operators', {
        id,
        name: id,
        country: 'JO',
        numberPrefixes: ['+96279'],
        adapterKind: 'upstream',
        settings: { baseUrl: fake.url, clientId: 'cli_fake', upstreamOperatorId: 'ZAIN_JO' },
      });
      await admin('PUT', `/admin/v1/operators/${id}/secrets/apiKey`, { value: 'fake-key' });
    }
    expect(
      (
        await admin('POST', `/admin/v1/clients/${clientB.clientId}/balance/top-up`, {
          credits: 100,
        })
      ).statusCode,
    ).toBe(200);
  });

  afterAll(async () => {
    await dbB?.end();
    await fake?.stop();
    await gatewayB?.close();
    await gatewayA?.close();
    await Promise.all([databaseA?.drop(), databaseB?.drop()]);
  });

  async function credits(): Promise<number> {
    const { rows } = await dbB.query<{ credits: number }>(
      'SELECT credits FROM client_balance WHERE client_id = $1',
      [clientB.clientId],
    );
    return rows[0].credits;
  }

  it("returns the upstream gateway's verdict for a proof it issued, in the seed's envelope", async () => {
    const { proof } = await kitA.proof(upstreamClient);
    const reply = await kitB.verify(clientB, verifyBody({ encryptedMobileNumber: proof }));
    expect(reply.statusCode).toBe(200);
    expect(reply.body).toBe(SEED_SUCCESS);
  });

  it('audits both legs: gateway B records the upstream call, gateway A records the forwarded verify', async () => {
    const { proof } = await kitA.proof(upstreamClient);
    await gatewayB.inject({
      method: 'POST',
      url: '/v1/api/verify',
      headers: {
        'x-client-id': clientB.clientId,
        'x-api-key': clientB.apiKey,
        'x-correlator': 'verif-chain-1',
      },
      payload: verifyBody({ encryptedMobileNumber: proof }),
    });
    const { rows: legB } = await dbB.query(
      'SELECT client_id, verdict, upstream FROM audit_event WHERE correlation_id = $1',
      ['verif-chain-1'],
    );
    expect(legB).toEqual([
      {
        client_id: clientB.clientId,
        verdict: { validNumber: true },
        upstream: [{ operatorId: 'ZAIN_JO', status: 200, latencyMs: expect.any(Number) }],
      },
    ]);
    const dbA = await databaseA.connect();
    try {
      // The correlation id travels with the forwarded request.
      const { rows: legA } = await dbA.query(
        "SELECT client_id, verdict FROM audit_event WHERE correlation_id = $1 AND action = 'verify'",
        ['verif-chain-1'],
      );
      expect(legA).toEqual([
        { client_id: upstreamClient.clientId, verdict: { validNumber: true } },
      ]);
    } finally {
      await dbA.end();
    }
  });

  it("passes on the upstream's negative verdicts with their codes", async () => {
    const { proof } = await kitA.proof(upstreamClient);
    expect((await kitB.verify(clientB, verifyBody({ encryptedMobileNumber: proof }))).body).toBe(
      SEED_SUCCESS,
    );
    expect(
      warningOf(await kitB.verify(clientB, verifyBody({ encryptedMobileNumber: proof }))),
    ).toEqual({ validNumber: false, code: 'PROOF_ALREADY_USED', type: 'WARNING' });
    const other = await kitA.proof(upstreamClient);
    expect(
      warningOf(
        await kitB.verify(
          clientB,
          verifyBody({ encryptedMobileNumber: other.proof, mobileNumber: '+962791111111' }),
        ),
      ).code,
    ).toBe('NUMBER_MISMATCH');
  });

  it('masks the number itself when the verdict is positive', async () => {
    const { proof } = await kitA.proof(upstreamClient);
    const reply = await kitB.verify(
      clientB,
      verifyBody({ encryptedMobileNumber: proof }),
      '?maskMobile=true',
    );
    expect(reply.json()).toMatchObject({
      data: { validNumber: true, maskedMobileNumber: '**********67' },
    });
  });

  it("relays the upstream's 400 for a value that is not a proof, without charging", async () => {
    const before = await credits();
    const reply = await kitB.verify(clientB, verifyBody());
    expect(reply.statusCode).toBe(400);
    expect(reply.json()).toMatchObject({ messages: [{ code: 'INVALID_ENCRYPTED_MOBILE_NUMBER' }] });
    expect(await credits()).toBe(before);
  });

  it.each([
    ['answers 5xx', 'FAKE_5XX', json(503, { down: true })],
    ['hangs past the deadline', 'FAKE_HANG', hang],
    [
      'answers malformed JSON',
      'FAKE_BAD',
      (_request: unknown, response: import('node:http').ServerResponse) =>
        response.writeHead(200).end('<html>'),
    ],
  ] as const)(
    'answers 503 OPERATOR_UNAVAILABLE, and refunds the credit, when the upstream %s',
    async (_case, operatorId, handler) => {
      fake.answer(handler);
      const before = await credits();
      const reply = await kitB.verify(
        clientB,
        verifyBody({ encryptedMobileNumber: 'a.b.c.d.e', operatorId }),
      );
      expect(reply.statusCode).toBe(503);
      expect(reply.json()).toEqual({
        success: false,
        messages: [
          {
            type: 'FAILURE',
            code: 'OPERATOR_UNAVAILABLE',
            message: expect.any(String),
            httpStatus: 'SERVICE_UNAVAILABLE',
            technical: true,
            arguments: null,
          },
        ],
        data: null,
      });
      expect(await credits()).toBe(before);
    },
  );

  it('sends the fake upstream the seed body with the stored credentials, under the upstream operator id', async () => {
    fake.answer(json(200, verdictEnvelope(true)));
    const reply = await kitB.verify(
      clientB,
      verifyBody({ encryptedMobileNumber: 'a.b.c.d.e', operatorId: 'FAKE_BAD' }),
    );
    expect(reply.body).toBe(SEED_SUCCESS);
    const sent = fake.requests.at(-1)!;
    expect(sent.url).toBe('/v1/api/verify?maskMobile=false');
    expect(sent.headers['x-api-key']).toBe('fake-key');
    expect(sent.headers['x-client-id']).toBe('cli_fake');
    expect(JSON.parse(sent.body)).toEqual({
      mobileNumber: '+962791234567',
      encryptedMobileNumber: 'a.b.c.d.e',
      operatorId: 'ZAIN_JO',
      serviceType: 'LOGIN',
    });
  });

  it('answers 503 when the upstream gateway is gone', async () => {
    const { proof } = await kitA.proof(upstreamClient);
    await gatewayA.close();
    const reply = await kitB.verify(clientB, verifyBody({ encryptedMobileNumber: proof }));
    expect(reply.statusCode).toBe(503);
    expect(reply.json()).toMatchObject({ messages: [{ code: 'OPERATOR_UNAVAILABLE' }] });
  });
});
