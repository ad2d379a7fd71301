import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { CreatedClient } from '../../src/modules/credentials/credential-views.js';
import { apiKeyHeaders, createTestClient } from '../support/credentials-factory.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { startCredentialsTestApp } from './credentials-test-app.js';
import { ProbeModule } from './probe-routes.js';

const AUTHMATECH_401 = {
  success: false,
  messages: [
    {
      type: 'FAILURE',
      code: 'UNAUTHORIZED',
      message: 'Unauthorized',
      httpStatus: 'UNAUTHORIZED',
      technical: false,
      arguments: null,
    },
  ],
  data: null,
};

function flipLastBodyChar(key: string): string {
  // Changes a body character and leaves the checksum: a typo the checksum catches.
  const index = key.length - 7;
  return key.slice(0, index) + (key[index] === 'a' ? 'b' : 'a') + key.slice(index + 1);
}

describe('API key and SDK token authentication (Authmatech contract)', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let clientA: CreatedClient;
  let clientB: CreatedClient;

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await startCredentialsTestApp(database, { imports: [ProbeModule] });
    clientA = await createTestClient(app, { name: 'A' });
    clientB = await createTestClient(app, { name: 'B', products: ['SIM_SWAP'] });
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('accepts a client’s own API key with its client id and exposes the caller to the handler', async () => {
    const response = await app.inject({
      method: 'GET',
      url: '/v1/api/probe',
      headers: apiKeyHeaders(clientA),
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      kind: 'client',
      clientId: clientA.clientId,
      environment: 'SANDBOX',
      credential: { kind: 'api_key' },
    });
    expect(clientA.apiKey).toMatch(/^mig_test_[0-9A-Za-z]{49}$/);
  });

  it.each([
    ['no credentials at all', {}],
    ['a missing API key', { 'x-client-id': 'A' }],
    ['a missing client id', { 'x-api-key': 'A' }],
    ['client A’s key with client B’s id', { 'x-client-id': 'B', 'x-api-key': 'A' }],
    [
      'an unknown client id with a valid key',
      { 'x-client-id': 'cli_0000000000000000000000', 'x-api-key': 'A' },
    ],
    ['a well-formed key nobody was issued', { 'x-client-id': 'A', 'x-api-key': 'forged' }],
    ['a key with a typo (checksum mismatch)', { 'x-client-id': 'A', 'x-api-key': 'typo' }],
    ['a malformed key', { 'x-client-id': 'A', 'x-api-key': 'not a key' }],
  ])('answers %s with the same Authmatech 401', async (_case, spec: Record<string, string>) => {
    const resolve = (value: string): string => {
      if (value === 'A') return spec['x-api-key'] === value ? clientA.apiKey : clientA.clientId;
      if (value === 'B') return clientB.clientId;
      if (value === 'forged') return 'mig_test_' + '1'.repeat(43) + 'zzzzzz';
      if (value === 'typo') return flipLastBodyChar(clientA.apiKey);
      return value;
    };
    const headers = Object.fromEntries(
      Object.entries(spec).map(([name, value]) => [name, resolve(value)]),
    );
    const response = await app.inject({ method: 'GET', url: '/v1/api/probe', headers });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual(AUTHMATECH_401);
  });

  it('answers a duplicated X-API-KEY header with the same 401', async () => {
    const response = await app.inject({
      method: 'GET',
      url: '/v1/api/probe',
      headers: { 'x-client-id': clientA.clientId, 'x-api-key': [clientA.apiKey, clientA.apiKey] },
    });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual(AUTHMATECH_401);
  });

  it('denies a route that declares no auth rule (closed by default)', async () => {
    const response = await app.inject({
      method: 'GET',
      url: '/v1/api/probe/closed',
      headers: apiKeyHeaders(clientA),
    });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual(AUTHMATECH_401);
  });

  it('answers a product the client has not enabled with 400 PRODUCT_NOT_ENABLED', async () => {
    const response = await app.inject({
      method: 'GET',
      url: '/v1/api/probe/verify',
      headers: apiKeyHeaders(clientB),
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().messages[0]).toMatchObject({
      code: 'PRODUCT_NOT_ENABLED',
      httpStatus: 'BAD_REQUEST',
    });
    const allowed = await app.inject({
      method: 'GET',
      url: '/v1/api/probe/verify',
      headers: apiKeyHeaders(clientA),
    });
    expect(allowed.statusCode).toBe(200);
  });

  describe('SDK tokens', () => {
    it('mints a token with the API key that works on the SDK session route with the same client id', async () => {
      const minted = await app.inject({
        method: 'POST',
        url: '/v1/api/sdk/token',
        headers: apiKeyHeaders(clientA),
      });
      expect(minted.statusCode).toBe(200);
      const body = minted.json();
      expect(body).toMatchObject({
        success: true,
        data: { sdkToken: expect.stringMatching(/^mig_sdk_/), expiresIn: 600 },
      });
      const session = await app.inject({
        method: 'POST',
        url: '/v1/api/probe/session',
        headers: { 'x-client-id': clientA.clientId, 'x-sdk-token': body.data.sdkToken },
      });
      expect(session.statusCode).toBe(200);
      expect(session.json()).toMatchObject({
        clientId: clientA.clientId,
        credential: { kind: 'sdk_token' },
      });
    });

    it('refuses an SDK token presented with another client’s id, tampered, or in place of an API key', async () => {
      const minted = (
        await app.inject({
          method: 'POST',
          url: '/v1/api/sdk/token',
          headers: apiKeyHeaders(clientA),
        })
      ).json();
      const token: string = minted.data.sdkToken;
      const tampered = token.slice(0, -2) + (token.endsWith('A') ? 'BB' : 'AA');
      const attempts = [
        {
          url: '/v1/api/probe/session',
          method: 'POST' as const,
          headers: { 'x-client-id': clientB.clientId, 'x-sdk-token': token },
        },
        {
          url: '/v1/api/probe/session',
          method: 'POST' as const,
          headers: { 'x-client-id': clientA.clientId, 'x-sdk-token': tampered },
        },
        {
          url: '/v1/api/probe',
          method: 'GET' as const,
          headers: { 'x-client-id': clientA.clientId, 'x-api-key': token },
        },
        { url: '/v1/api/probe/session', method: 'POST' as const, headers: apiKeyHeaders(clientA) },
      ];
      for (const attempt of attempts) {
        const response = await app.inject(attempt);
        expect(response.statusCode).toBe(401);
        expect(response.json()).toEqual(AUTHMATECH_401);
      }
    });
  });
});
