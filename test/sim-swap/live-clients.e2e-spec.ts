import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { CreatedClient } from '../../src/modules/credentials/credential-views.js';
import { createTestClient, jwtHeaders } from '../support/credentials-factory.js';
import { startTestApp } from '../support/test-app.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

// A sandbox number of the Netherlands sandbox operator (README, "Sandbox numbers").
const SANDBOX_NUMBER = '+31612345002';

describe('SIM swap for LIVE clients', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let live: CreatedClient;
  let sandbox: CreatedClient;

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await startTestApp(database);
    live = await createTestClient(app, {
      environment: 'LIVE',
      products: ['SIM_SWAP', 'DEVICE_SWAP'],
    });
    sandbox = await createTestClient(app, {
      environment: 'SANDBOX',
      products: ['SIM_SWAP', 'DEVICE_SWAP'],
    });
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  const post = (url: string, client: CreatedClient, payload: object) =>
    app.inject({
      method: 'POST',
      url,
      headers: { ...jwtHeaders(client), 'content-type': 'application/json' },
      payload,
    });

  it('never answers a LIVE client from sandbox data: the number is unknown to it (CAMARA)', async () => {
    const response = await post('/sim-swap/v2/check', live, { phoneNumber: SANDBOX_NUMBER });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({
      status: 404,
      code: 'IDENTIFIER_NOT_FOUND',
      message: expect.any(String),
    });
    expect(response.body).not.toContain('swapped');
  });

  it('never answers a LIVE client from sandbox data (Identity Match)', async () => {
    const response = await post('/mobile-identity/v1/sim-swap', live, {
      phoneNumber: SANDBOX_NUMBER,
      serviceType: '24h',
    });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ state: 'error' });
  });

  it('still answers a SANDBOX client for the same number', async () => {
    // Swapped 2 hours ago: inside the default maxAge (240 h), outside a maxAge of 1 h.
    const response = await post('/sim-swap/v2/check', sandbox, { phoneNumber: SANDBOX_NUMBER });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ swapped: true });
    const withinAnHour = await post('/sim-swap/v2/check', sandbox, {
      phoneNumber: SANDBOX_NUMBER,
      maxAge: 1,
    });
    expect(withinAnHour.statusCode).toBe(200);
    expect(withinAnHour.json()).toEqual({ swapped: false });
  });
});
