import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { decodeProtectedHeader, decodeJwt, jwtVerify } from 'jose';
import jsonwebtoken from 'jsonwebtoken';
import { ManualClock } from '../../../test/credentials/credentials-test-app.js';
import { createTestAdminKey, createTestClient } from '../../../test/support/credentials-factory.js';
import { createTestDatabase, type TestDatabase } from '../../../test/support/test-database.js';
import { startSimSwapApp } from '../../../test/sim-swap/sim-swap-test-kit.js';
import type { CreatedClient } from '../../../src/modules/credentials/credential-views.js';
import {
  AuthmatechError,
  CamaraError,
  createGatewayClient,
  GatewayTransportError,
  IdentityMatchError,
  signClientJwt,
  type GatewayClientOptions,
} from '../src/index.js';

interface SentRequest {
  method: string;
  path: string;
  headers: Headers;
}

/** The SDK against a real gateway listening on a port: real HTTP, real credentials, real database. */
describe('Node SDK', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let baseUrl: string;
  let client: CreatedClient;
  let adminKey: string;
  // Near real time, so the JWTs the SDK signs with the real clock are within the gateway's tolerance.
  const clock = new ManualClock(new Date());
  let sent: SentRequest[];
  let waits: number[];

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await startSimSwapApp(database, { clock });
    await app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = await app.getUrl();
    client = await createTestClient(app);
    adminKey = (await createTestAdminKey(app)).key;
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  beforeEach(() => {
    sent = [];
    waits = [];
  });

  /** A client whose requests are recorded, and whose waits move the gateway's clock instead of sleeping. */
  const gateway = (overrides: Partial<GatewayClientOptions> = {}) =>
    createGatewayClient({
      baseUrl,
      clientId: client.clientId,
      apiKey: client.apiKey,
      jwt: { keyId: client.jwtKeyId, secret: client.jwtSecret },
      adminKey,
      fetch: (input, init) => {
        sent.push({
          method: init?.method ?? 'GET',
          path: new URL(input instanceof Request ? input.url : input).pathname,
          headers: new Headers(init?.headers),
        });
        return fetch(input, init);
      },
      ...overrides,
    });
  /** Records each wait instead of sleeping. */
  const recordWait = (ms: number): Promise<void> => {
    waits.push(ms);
    return Promise.resolve();
  };
  it('runs the silent verification flow and unwraps each envelope', async () => {
    const sdk = gateway();
    const { sdkToken } = await sdk.verification.mintSdkToken();
    const enrichment = await sdk.verification.enrich('ZAIN_JO', {
      sdkToken,
      sandboxMsisdn: '+962791234567',
    });
    expect(enrichment).toMatchObject({
      identified: true,
      MNOID: 'ZAIN_JO',
      authmatechCode: expect.any(String),
    });
    const request = {
      mobileNumber: '+962791234567',
      encryptedMobileNumber: enrichment.authmatechCode!,
      operatorId: 'ZAIN_JO',
      serviceType: 'LOGIN' as const,
    };
    expect(await sdk.verification.verify(request)).toEqual({ validNumber: true });
    // A negative verdict is an answer, not an error: the reason is the envelope's WARNING code.
    expect(await sdk.verification.verify(request)).toEqual({
      validNumber: false,
      reason: 'PROOF_ALREADY_USED',
    });
    const wifi = await sdk.verification.enrich('ZAIN_JO', {
      sdkToken,
      sandboxMsisdn: '+962790000001',
    });
    expect(wifi).toMatchObject({
      identified: false,
      authmatechCode: null,
      warning: { code: 'sdk_no_he_result' },
    });
    // The device routes took the SDK token, the backend routes the API key; both with the client id.
    const [mint, enrich] = sent;
    expect([mint.headers.get('x-api-key'), mint.headers.get('x-sdk-token')]).toEqual([
      client.apiKey,
      null,
    ]);
    expect([
      enrich.headers.get('x-api-key'),
      enrich.headers.get('x-sdk-token'),
      enrich.headers.get('x-client-id'),
    ]).toEqual([null, sdkToken, client.clientId]);
  });

  it('answers CAMARA, Identity Match and admin operations with their typed data', async () => {
    const sdk = gateway();
    expect(await sdk.camara.checkSimSwap({ phoneNumber: '+31612345004', maxAge: 240 })).toEqual({
      swapped: true,
    });
    expect(await sdk.camara.retrieveDeviceSwapDate({ phoneNumber: '+31612345004' })).toEqual({
      latestDeviceChange: expect.any(String),
    });
    expect(
      await sdk.identityMatch.simSwap({ phoneNumber: '+31612345002', serviceType: '24h' }),
    ).toEqual({ '24h': true });
    expect(await sdk.admin.getClient(client.clientId)).toMatchObject({
      clientId: client.clientId,
      environment: 'SANDBOX',
    });
    // Every JWT is the seed's shape, signed per request.
    const bearer = sent
      .find((request) => request.path === '/sim-swap/v2/check')!
      .headers.get('authorization')!;
    const token = bearer.replace(/^Bearer /, '');
    expect(decodeProtectedHeader(token)).toEqual({
      alg: 'HS256',
      typ: 'JWT',
      kid: client.jwtKeyId,
    });
    const claims = decodeJwt(token);
    expect(Object.keys(claims)).toEqual(['iat', 'nbf', 'exp']);
    expect([claims.nbf, claims.exp]).toEqual([claims.iat, claims.iat! + 60]);
  });

  it('signs exactly the token of the Identity Match documentation', async () => {
    const credentials = {
      keyId: '3b438437-04a4-40bb-8389-54bb02766fba',
      secret: 'AC4Etykn7jusGR5FwLDAtILtQbiQbTMKedP31szXg4WlSbjGEXyNMZ',
    };
    const token = await signClientJwt(credentials, new Date(1_704_067_200_000));
    expect(decodeJwt(token)).toEqual({ iat: 1704067200, nbf: 1704067200, exp: 1704067260 });
    // The same bytes as the reference library builds them, header and payload order included.
    const reference = jsonwebtoken.sign(
      { iat: 1704067200, nbf: 1704067200, exp: 1704067260 },
      credentials.secret,
      {
        algorithm: 'HS256',
        header: { alg: 'HS256', typ: 'JWT', kid: credentials.keyId },
      },
    );
    expect(token).toBe(reference);
    await expect(
      jwtVerify(token, new TextEncoder().encode(credentials.secret), {
        currentDate: new Date(1_704_067_230_000),
      }),
    ).resolves.toBeDefined();
  });

  it("throws each contract's typed error with its code, status and correlator", async () => {
    const sdk = gateway();
    const invalid = await sdk.verification
      .verify({
        mobileNumber: '0791234567',
        encryptedMobileNumber: 'x',
        operatorId: 'ZAIN_JO',
        serviceType: 'LOGIN',
      })
      .catch((error: unknown) => error);
    expect(invalid).toBeInstanceOf(AuthmatechError);
    expect(invalid).toMatchObject({
      status: 400,
      code: 'INVALID_MOBILE_NUMBER',
      contract: 'authmatech',
      correlator: sent[0].headers.get('x-correlator'),
    });
    await expect(sdk.camara.checkSimSwap({ phoneNumber: '+999123456789' })).rejects.toMatchObject({
      constructor: CamaraError,
      status: 404,
      code: 'IDENTIFIER_NOT_FOUND',
    });
    const noProduct = await createTestClient(app, { products: ['VERIFY'] });
    const restricted = gateway({ jwt: { keyId: noProduct.jwtKeyId, secret: noProduct.jwtSecret } });
    await expect(
      restricted.identityMatch.simSwap({ phoneNumber: '+31612345002', serviceType: 'range' }),
    ).rejects.toMatchObject({
      constructor: IdentityMatchError,
      status: 403,
      code: 'PRODUCT_NOT_ENABLED',
    });
    await expect(
      gateway({ adminKey: 'mig_admin_wrong' }).admin.listClients(),
    ).rejects.toMatchObject({ constructor: CamaraError, status: 401, code: 'UNAUTHENTICATED' });
    await expect(
      createGatewayClient({ baseUrl: 'http://127.0.0.1:1', adminKey }).admin.listClients(),
    ).rejects.toBeInstanceOf(GatewayTransportError);
  });

  it('waits as Retry-After says on 429 and retries with the same idempotency key and correlator', async () => {
    // Identity Match allows one request per second per JWT key; a new second for this test.
    clock.advance(1_000);
    const clocked = gateway({
      // The wait moves the gateway's clock instead of sleeping.
      sleep: (ms: number) => {
        clock.advance(ms);
        return recordWait(ms);
      },
    });
    expect(
      await clocked.identityMatch.simSwap({ phoneNumber: '+31612345002', serviceType: '24h' }),
    ).toEqual({ '24h': true });
    expect(
      await clocked.identityMatch.simSwap({
        phoneNumber: '+31612345002',
        serviceType: 'timestamp',
      }),
    ).toMatchObject({ state: 'success' });
    expect(waits).toEqual([1000]);
    const [, refused, retried] = sent;
    expect(retried.headers.get('idempotency-key')).toMatch(/^[0-9a-f-]{36}$/);
    expect(retried.headers.get('idempotency-key')).toBe(refused.headers.get('idempotency-key'));
    expect(retried.headers.get('x-correlator')).toBe(refused.headers.get('x-correlator'));
    expect(sent[0].headers.get('idempotency-key')).not.toBe(refused.headers.get('idempotency-key'));
  });

  it('retries 503 with backoff up to maxAttempts, then throws it; GETs carry no idempotency key', async () => {
    const clocked = gateway({ retry: { maxAttempts: 3, baseDelayMs: 100 }, sleep: recordWait });
    // Numbers under +49152 belong to a sandbox operator that always fails.
    await expect(
      clocked.camara.checkSimSwap({ phoneNumber: '+491521234567' }),
    ).rejects.toMatchObject({ constructor: CamaraError, status: 503, code: 'UNAVAILABLE' });
    expect(sent).toHaveLength(3);
    expect(new Set(sent.map((request) => request.headers.get('idempotency-key'))).size).toBe(1);
    expect(waits).toHaveLength(2);
    expect(waits[0]).toBeGreaterThanOrEqual(50);
    expect(waits[1]).toBeGreaterThanOrEqual(100);
    sent = [];
    await clocked.admin.listClients({ limit: 1 });
    expect(sent[0].headers.get('idempotency-key')).toBeNull();
  });

  it('lets the caller keep its own Idempotency-Key (raw): the gateway replays a repeat instead of crediting twice', async () => {
    const sdk = gateway();
    const topped = await createTestClient(app, { environment: 'LIVE' });
    const key = `sdk-${Date.now()}`;
    const topUp = () =>
      sdk.raw.POST('/admin/v1/clients/{clientId}/balance/top-up', {
        params: { path: { clientId: topped.clientId } },
        body: { credits: 7 },
        headers: { 'Idempotency-Key': key },
      });
    const first = await topUp();
    const repeat = await topUp();
    expect(sent.map((request) => request.headers.get('idempotency-key'))).toEqual([key, key]);
    expect(first.data).toMatchObject({ clientId: topped.clientId, credits: 7 });
    expect(repeat.data).toEqual(first.data);
    expect(repeat.response.headers.get('idempotent-replayed')).toBe('true');
    expect(await sdk.admin.balance(topped.clientId)).toMatchObject({ credits: 7 });
  });

  it('does not wait longer than maxDelayMs: a long Retry-After is thrown at once', async () => {
    const limited = await createTestClient(app, { rateLimitPerMinute: 1 });
    const sdk = gateway({
      clientId: limited.clientId,
      apiKey: limited.apiKey,
      retry: { maxDelayMs: 500 },
      sleep: recordWait,
    });
    await sdk.portal.products();
    const refused = await sdk.portal.products().catch((error: unknown) => error);
    expect(refused).toMatchObject({
      constructor: AuthmatechError,
      status: 429,
      code: 'TOO_MANY_REQUESTS',
      retryable: true,
    });
    expect((refused as AuthmatechError).retryAfterSeconds).toBeGreaterThan(0);
    expect(waits).toEqual([]);
  });

  it('walks every page of a list', async () => {
    for (let index = 0; index < 3; index += 1)
      await createTestClient(app, { name: `sdk page ${index}` });
    const sdk = gateway();
    const ids: string[] = [];
    for await (const each of sdk.all(sdk.admin.listClients, 2)) ids.push(each.clientId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBeGreaterThanOrEqual(5);
    expect(sent.length).toBeGreaterThanOrEqual(3);
  });

  it('drives `npm run demo` (scripts/demo.mjs) to a positive verdict', async () => {
    // Asynchronous: the gateway answering the demo runs in this process.
    const { stdout } = await promisify(execFile)(process.execPath, ['scripts/demo.mjs'], {
      env: {
        ...process.env,
        GATEWAY_URL: baseUrl,
        DEMO_CLIENT_ID: client.clientId,
        DEMO_API_KEY: client.apiKey,
      },
    });
    expect(stdout).toContain('Verdict: validNumber = true');
    expect(stdout).toContain('"maskedMobileNumber": "**********67"');
    expect(stdout).not.toContain(client.apiKey);
  });
});
