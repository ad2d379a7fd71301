import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type pg from 'pg';
import type { CreatedClient } from '../../src/modules/credentials/credential-views.js';
import { apiKeyHeaders } from '../support/credentials-factory.js';
import { startTestApp } from '../support/test-app.js';
import {
  createTestDatabase,
  describeOnPostgres,
  type TestDatabase,
} from '../support/test-database.js';
import { VerificationKit, verifyBody, warningOf } from './verification-kit.js';

const SEED_SUCCESS =
  '{"success":true,"messages":[{"type":"SUCCESS","code":null,"message":null,"httpStatus":"OK","technical":false,"arguments":null}],"data":{"validNumber":true}}';

describe('POST /v1/api/verify', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let kit: VerificationKit;
  let sandbox: CreatedClient;

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await startTestApp(database, { OPERATOR_DEADLINE_MS: '200' });
    kit = new VerificationKit(app);
    sandbox = await kit.client('SANDBOX');
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('answers the seed cURL body, with a real sandbox proof, exactly as the seed documents', async () => {
    const { proof, sdkSessionId } = await kit.proof(sandbox);
    const reply = await kit.verify(
      sandbox,
      verifyBody({ encryptedMobileNumber: proof, sdkSessionId }),
    );
    expect(reply.statusCode).toBe(200);
    expect(reply.body).toBe(SEED_SUCCESS);
  });

  it('adds the masked number when maskMobile=true, and leaves it out when false', async () => {
    const masked = await kit.verify(
      sandbox,
      verifyBody({ encryptedMobileNumber: (await kit.proof(sandbox)).proof }),
      '?maskMobile=true',
    );
    expect(masked.json()).toMatchObject({
      success: true,
      data: { validNumber: true, maskedMobileNumber: '**********67' },
    });
    const plain = await kit.verify(
      sandbox,
      verifyBody({ encryptedMobileNumber: (await kit.proof(sandbox)).proof }),
      '?maskMobile=false',
    );
    expect(plain.body).toBe(SEED_SUCCESS);
  });

  it('refuses maskMobile=true to a client without VERIFY_MASKED, with 400 PRODUCT_NOT_ENABLED', async () => {
    const client = await kit.client('SANDBOX', ['VERIFY']);
    const { proof } = await kit.proof(client);
    const reply = await kit.verify(
      client,
      verifyBody({ encryptedMobileNumber: proof }),
      '?maskMobile=true',
    );
    expect(reply.statusCode).toBe(400);
    expect(reply.json()).toMatchObject({
      success: false,
      messages: [{ type: 'FAILURE', code: 'PRODUCT_NOT_ENABLED', httpStatus: 'BAD_REQUEST' }],
      data: null,
    });
    // The proof was not spent by the refused request.
    expect((await kit.verify(client, verifyBody({ encryptedMobileNumber: proof }))).body).toBe(
      SEED_SUCCESS,
    );
  });

  it.each(['0791234567', '+971 50 123 4567', '+966-51-2345678', '962791234567', 791234567])(
    'refuses the mobile number %p with 400 INVALID_MOBILE_NUMBER, without echoing it',
    async (mobileNumber) => {
      const reply = await kit.verify(sandbox, verifyBody({ mobileNumber }));
      expect(reply.statusCode).toBe(400);
      expect(reply.json()).toMatchObject({
        success: false,
        messages: [{ code: 'INVALID_MOBILE_NUMBER' }],
      });
      expect(reply.body).not.toContain(String(mobileNumber));
    },
  );

  it.each([
    ['an unknown service type', { serviceType: 'PAYMENT' }],
    ['an unknown field', { clientIp: '1.2.3.4' }],
    ['a missing proof', { encryptedMobileNumber: undefined }],
    ['a missing operator', { operatorId: undefined }],
    ['a malformed sdkSessionId', { sdkSessionId: 'has spaces' }],
  ])('refuses %s with 400 VALIDATION_ERROR', async (_case, overrides) => {
    const reply = await kit.verify(sandbox, verifyBody(overrides));
    expect(reply.statusCode).toBe(400);
    expect(reply.json()).toMatchObject({
      success: false,
      messages: [{ code: 'VALIDATION_ERROR' }],
      data: null,
    });
  });

  it('refuses an unknown maskMobile value and an unknown query parameter', async () => {
    expect((await kit.verify(sandbox, verifyBody(), '?maskMobile=yes')).statusCode).toBe(400);
    expect((await kit.verify(sandbox, verifyBody(), '?debug=1')).statusCode).toBe(400);
  });

  it('answers 400 INVALID_ENCRYPTED_MOBILE_NUMBER for a value that is not a JWE at all', async () => {
    const reply = await kit.verify(sandbox, verifyBody());
    expect(reply.statusCode).toBe(400);
    expect(reply.json()).toMatchObject({ messages: [{ code: 'INVALID_ENCRYPTED_MOBILE_NUMBER' }] });
  });

  it('answers 400 INVALID_OPERATOR for an operator it does not know', async () => {
    const reply = await kit.verify(
      sandbox,
      verifyBody({
        operatorId: 'NOPE_XX',
        encryptedMobileNumber: (await kit.proof(sandbox)).proof,
      }),
    );
    expect(reply.statusCode).toBe(400);
    expect(reply.json()).toMatchObject({ messages: [{ code: 'INVALID_OPERATOR' }] });
  });

  it('answers 401 in the envelope without credentials', async () => {
    const reply = await app.inject({
      method: 'POST',
      url: '/v1/api/verify',
      payload: verifyBody(),
    });
    expect(reply.statusCode).toBe(401);
    expect(reply.json()).toMatchObject({
      success: false,
      messages: [{ type: 'FAILURE' }],
      data: null,
    });
  });

  describe('the audit trail', () => {
    async function eventsOf(correlationId: string): Promise<Record<string, unknown>[]> {
      const db: pg.Client = await database.connect();
      try {
        const { rows } = await db.query(
          'SELECT action, client_id, service_type, operator_id, phone_hash, phone_masked, outcome, verdict, http_status, error_code, upstream FROM audit_event WHERE correlation_id = $1',
          [correlationId],
        );
        return rows as Record<string, unknown>[];
      } finally {
        await db.end();
      }
    }

    it('records the enrichment and the verify with their verdicts, the number only hashed and masked', async () => {
      const token = await kit.sdkToken(sandbox);
      const enrichment = await app.inject({
        method: 'GET',
        url: '/v1/he/ZAIN_JO',
        headers: {
          'x-sdk-token': token,
          'x-client-id': sandbox.clientId,
          'x-sandbox-msisdn': '+962791234567',
          'x-correlator': 'verif-audit-he-1',
        },
      });
      const proof = enrichment.json<{ data: { authmatechCode: string } }>().data.authmatechCode;
      expect(await eventsOf('verif-audit-he-1')).toEqual([
        expect.objectContaining({
          action: 'enrichment',
          client_id: sandbox.clientId,
          operator_id: 'ZAIN_JO',
          outcome: 'success',
          verdict: { identified: true },
          phone_masked: expect.stringMatching(/\*{10}67$/),
        }),
      ]);
      const headers = { ...apiKeyHeaders(sandbox), 'x-correlator': 'verif-audit-verify-1' };
      await app.inject({
        method: 'POST',
        url: '/v1/api/verify',
        headers,
        payload: verifyBody({ encryptedMobileNumber: proof }),
      });
      await app.inject({
        method: 'POST',
        url: '/v1/api/verify',
        headers: { ...headers, 'x-correlator': 'verif-audit-verify-2' },
        payload: verifyBody({ encryptedMobileNumber: proof }),
      });
      const [positive] = await eventsOf('verif-audit-verify-1');
      expect(positive).toMatchObject({
        action: 'verify',
        client_id: sandbox.clientId,
        service_type: 'LOGIN',
        operator_id: 'ZAIN_JO',
        verdict: { validNumber: true },
        http_status: 200,
      });
      expect(positive.phone_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(positive)).not.toContain('962791234567');
      const [replay] = await eventsOf('verif-audit-verify-2');
      expect(replay).toMatchObject({
        action: 'verify',
        verdict: { validNumber: false, reason: 'PROOF_ALREADY_USED' },
      });
    });

    it('records a verify the operator could not answer as a failure with its upstream leg', async () => {
      const { proof } = await kit.proof(sandbox);
      const headers = { ...apiKeyHeaders(sandbox), 'x-correlator': 'verif-audit-503' };
      await app.inject({
        method: 'POST',
        url: '/v1/api/verify',
        headers,
        payload: verifyBody({ encryptedMobileNumber: proof, mobileNumber: '+962790000503' }),
      });
      expect(await eventsOf('verif-audit-503')).toEqual([
        expect.objectContaining({
          action: 'verify',
          outcome: 'failure',
          http_status: 503,
          error_code: 'OPERATOR_UNAVAILABLE',
          upstream: [expect.objectContaining({ operatorId: 'ZAIN_JO', status: 503 })],
        }),
      ]);
    });
  });

  describe('negative verdicts (200, validNumber false, a WARNING with a stable code)', () => {
    it('says PROOF_ALREADY_USED for a replay', async () => {
      const { proof } = await kit.proof(sandbox);
      expect((await kit.verify(sandbox, verifyBody({ encryptedMobileNumber: proof }))).body).toBe(
        SEED_SUCCESS,
      );
      const replay = await kit.verify(sandbox, verifyBody({ encryptedMobileNumber: proof }));
      expect(replay.statusCode).toBe(200);
      expect(replay.json()).toEqual({
        success: true,
        messages: [
          {
            type: 'WARNING',
            code: 'PROOF_ALREADY_USED',
            message: expect.any(String),
            httpStatus: 'OK',
            technical: false,
            arguments: null,
          },
        ],
        data: { validNumber: false },
      });
    });

    it('says NUMBER_MISMATCH for another number, and the proof is spent so it cannot test a second number', async () => {
      const { proof } = await kit.proof(sandbox);
      expect(
        warningOf(
          await kit.verify(
            sandbox,
            verifyBody({ encryptedMobileNumber: proof, mobileNumber: '+962791234568' }),
          ),
        ),
      ).toEqual({
        validNumber: false,
        code: 'NUMBER_MISMATCH',
        type: 'WARNING',
      });
      expect(
        warningOf(await kit.verify(sandbox, verifyBody({ encryptedMobileNumber: proof }))).code,
      ).toBe('PROOF_ALREADY_USED');
    });

    it('says PROOF_EXPIRED for a proof past its lifetime', async () => {
      const proof = await kit.sealedProof(
        sandbox.clientId,
        '+962791234567',
        'ZAIN_JO',
        new Date(Date.now() - 600_000),
        300,
      );
      expect(
        warningOf(await kit.verify(sandbox, verifyBody({ encryptedMobileNumber: proof }))).code,
      ).toBe('PROOF_EXPIRED');
    });

    it("says PROOF_NOT_ISSUED_TO_CLIENT for another client's proof, which stays usable by its owner", async () => {
      const other = await kit.client('SANDBOX');
      const { proof } = await kit.proof(other);
      expect(
        warningOf(await kit.verify(sandbox, verifyBody({ encryptedMobileNumber: proof }))).code,
      ).toBe('PROOF_NOT_ISSUED_TO_CLIENT');
      expect((await kit.verify(other, verifyBody({ encryptedMobileNumber: proof }))).body).toBe(
        SEED_SUCCESS,
      );
    });

    it('says OPERATOR_MISMATCH when the proof names another operator', async () => {
      const { proof } = await kit.proof(sandbox, '+962771234567', 'ORANGE_JO');
      const reply = await kit.verify(
        sandbox,
        verifyBody({ encryptedMobileNumber: proof, mobileNumber: '+962771234567' }),
      );
      expect(warningOf(reply).code).toBe('OPERATOR_MISMATCH');
    });

    it("says SESSION_MISMATCH when sdkSessionId is not the proof's session", async () => {
      const { proof } = await kit.proof(sandbox);
      const reply = await kit.verify(
        sandbox,
        verifyBody({
          encryptedMobileNumber: proof,
          sdkSessionId: '00000000-0000-4000-8000-000000000000',
        }),
      );
      expect(warningOf(reply).code).toBe('SESSION_MISMATCH');
    });

    it('says PROOF_INVALID for a tampered proof', async () => {
      const { proof } = await kit.proof(sandbox);
      const parts = proof.split('.');
      parts[3] = `${parts[3].slice(0, -3)}${parts[3].endsWith('AAA') ? 'BBB' : 'AAA'}`;
      expect(
        warningOf(await kit.verify(sandbox, verifyBody({ encryptedMobileNumber: parts.join('.') })))
          .code,
      ).toBe('PROOF_INVALID');
    });
  });

  describe('the sandbox operator table', () => {
    it('answers 503 OPERATOR_UNAVAILABLE for a number whose operator is down', async () => {
      const { proof } = await kit.proof(sandbox);
      const reply = await kit.verify(
        sandbox,
        verifyBody({ encryptedMobileNumber: proof, mobileNumber: '+962790000503' }),
      );
      expect(reply.statusCode).toBe(503);
      expect(reply.json()).toMatchObject({
        success: false,
        messages: [
          { code: 'OPERATOR_UNAVAILABLE', httpStatus: 'SERVICE_UNAVAILABLE', technical: true },
        ],
        data: null,
      });
    });

    it('answers 503 OPERATOR_UNAVAILABLE once the deadline passes for a slow number', async () => {
      const { proof } = await kit.proof(sandbox);
      const reply = await kit.verify(
        sandbox,
        verifyBody({ encryptedMobileNumber: proof, mobileNumber: '+962790000504' }),
      );
      expect(reply.statusCode).toBe(503);
      expect(reply.json()).toMatchObject({ messages: [{ code: 'OPERATOR_UNAVAILABLE' }] });
    });
  });

  describe('the web variant POST /v1/api/verify/{transactionId}', () => {
    it('verifies with the proof the gateway kept for the enrichment session', async () => {
      const { sdkSessionId } = await kit.proof(sandbox);
      const url = `/v1/api/verify/${sdkSessionId}`;
      const reply = await app.inject({
        method: 'POST',
        url,
        headers: apiKeyHeaders(sandbox),
        payload: { mobileNumber: '+962791234567', serviceType: 'LOGIN' },
      });
      expect(reply.body).toBe(SEED_SUCCESS);
      const replay = await app.inject({
        method: 'POST',
        url,
        headers: apiKeyHeaders(sandbox),
        payload: { mobileNumber: '+962791234567', serviceType: 'LOGIN' },
      });
      expect(warningOf(replay).code).toBe('PROOF_ALREADY_USED');
    });

    it('does not let another client use the session (404, as for an unknown one)', async () => {
      const { sdkSessionId } = await kit.proof(sandbox);
      const other = await kit.client('SANDBOX');
      const payload = { mobileNumber: '+962791234567', serviceType: 'LOGIN' };
      const stolen = await app.inject({
        method: 'POST',
        url: `/v1/api/verify/${sdkSessionId}`,
        headers: apiKeyHeaders(other),
        payload,
      });
      expect(stolen.statusCode).toBe(404);
      expect(stolen.json()).toMatchObject({ messages: [{ code: 'TRANSACTION_NOT_FOUND' }] });
      const unknown = await app.inject({
        method: 'POST',
        url: '/v1/api/verify/6f1c2d3e-0000-4000-8000-000000000001',
        headers: apiKeyHeaders(other),
        payload,
      });
      expect(unknown.statusCode).toBe(404);
      // The owner can still use it.
      const owner = await app.inject({
        method: 'POST',
        url: `/v1/api/verify/${sdkSessionId}`,
        headers: apiKeyHeaders(sandbox),
        payload,
      });
      expect(owner.body).toBe(SEED_SUCCESS);
    });

    it('answers validNumber false for a session whose enrichment identified nobody', async () => {
      const enrichment = await kit.enrich(sandbox, { sandboxMsisdn: '+962790000001' });
      const { sdkSessionId } = enrichment.json<{ data: { sdkSessionId: string } }>().data;
      const reply = await app.inject({
        method: 'POST',
        url: `/v1/api/verify/${sdkSessionId}`,
        headers: apiKeyHeaders(sandbox),
        payload: { mobileNumber: '+962790000001', serviceType: 'LOGIN' },
      });
      expect(warningOf(reply)).toEqual({
        validNumber: false,
        code: 'sdk_no_he_result',
        type: 'WARNING',
      });
    });
  });
});

describeOnPostgres('POST /v1/api/verify on two instances', () => {
  let database: TestDatabase;
  let first: NestFastifyApplication;
  let second: NestFastifyApplication;

  beforeAll(async () => {
    database = await createTestDatabase();
    first = await startTestApp(database);
    second = await startTestApp(database);
  });

  afterAll(async () => {
    await first?.close();
    await second?.close();
    await database?.drop();
  });

  it('accepts a proof once even when both instances verify it at the same moment', async () => {
    const kitA = new VerificationKit(first);
    const kitB = new VerificationKit(second);
    const client = await kitA.client('SANDBOX');
    for (let round = 0; round < 3; round += 1) {
      const { proof } = await kitA.proof(client);
      const replies = await Promise.all([
        kitA.verify(client, verifyBody({ encryptedMobileNumber: proof })),
        kitB.verify(client, verifyBody({ encryptedMobileNumber: proof })),
        kitA.verify(client, verifyBody({ encryptedMobileNumber: proof })),
        kitB.verify(client, verifyBody({ encryptedMobileNumber: proof })),
      ]);
      const verdicts = replies.map((reply) => warningOf(reply));
      expect(verdicts.filter((verdict) => verdict.validNumber)).toHaveLength(1);
      expect(verdicts.filter((verdict) => verdict.code === 'PROOF_ALREADY_USED')).toHaveLength(3);
    }
  });

  it('stores one spent-proof row per accepted proof', async () => {
    const client: pg.Client = await database.connect();
    try {
      const { rows } = await client.query<{ count: string }>('SELECT count(*) FROM proof_use');
      expect(Number(rows[0].count)).toBe(3);
    } finally {
      await client.end();
    }
  });
});
