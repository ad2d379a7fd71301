import { Controller, Get, Module, Post } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Public } from '../../src/common/auth/public.decorator.js';
import { startTestApp } from '../support/test-app.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { ApiCreatedResponse, ApiTags } from '@nestjs/swagger';

// Routes that exist only in this test, to reach the paths a real handler could take.
@Public()
@ApiTags('Test probes')
@Controller()
class ProbeController {
  @Post('v1/api/probe')
  @ApiCreatedResponse({
    description: 'Accepted.',
    schema: { type: 'object', properties: { ok: { type: 'boolean' } } },
  })
  accept(): { ok: true } {
    return { ok: true };
  }

  @Get('v1/api/explode')
  explode(): never {
    throw new Error('secret-internal-detail at /srv/app/db.ts:42');
  }

  @Get('sim-swap/v2/explode')
  explodeCamara(): never {
    throw new TypeError('Cannot read properties of undefined');
  }
}

@Module({ controllers: [ProbeController] })
class ProbeModule {}

const authmatechError = (code: string, httpStatus: string) => ({
  success: false,
  messages: [
    {
      type: 'FAILURE',
      code,
      message: expect.any(String),
      httpStatus,
      technical: expect.any(Boolean),
      arguments: null,
    },
  ],
  data: null,
});

describe('error envelopes', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await startTestApp(database, {}, { imports: [ProbeModule] });
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  describe('Authmatech paths (/v1/api/**)', () => {
    it('answers malformed JSON with 400 MALFORMED_REQUEST in the Authmatech envelope', async () => {
      const response = await app.inject({
        method: 'POST',
        url: '/v1/api/probe',
        headers: { 'content-type': 'application/json' },
        payload: '{"mobileNumber": "+962791234567",',
      });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual(authmatechError('MALFORMED_REQUEST', 'BAD_REQUEST'));
      expect(response.body).not.toContain('962791234567');
    });

    it('answers an unknown path with 404 NOT_FOUND in the Authmatech envelope', async () => {
      const response = await app.inject({ method: 'GET', url: '/v1/api/does-not-exist' });
      expect(response.statusCode).toBe(404);
      expect(response.json()).toEqual(authmatechError('NOT_FOUND', 'NOT_FOUND'));
    });

    it('answers a 2 MB body with 413 in the Authmatech envelope', async () => {
      const response = await app.inject({
        method: 'POST',
        url: '/v1/api/probe',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ padding: 'x'.repeat(2 * 1024 * 1024) }),
      });
      expect(response.statusCode).toBe(413);
      expect(response.json()).toEqual(authmatechError('PAYLOAD_TOO_LARGE', 'PAYLOAD_TOO_LARGE'));
    });

    it('answers a non-JSON content type with 415', async () => {
      for (const contentType of [
        'text/plain',
        'application/x-www-form-urlencoded',
        'application/xml',
      ]) {
        const response = await app.inject({
          method: 'POST',
          url: '/v1/api/probe',
          headers: { 'content-type': contentType },
          payload: 'a=1',
        });
        expect(response.statusCode).toBe(415);
        expect(response.json()).toEqual(
          authmatechError('UNSUPPORTED_MEDIA_TYPE', 'UNSUPPORTED_MEDIA_TYPE'),
        );
      }
    });

    it('answers a known path with the wrong method with 405 and an Allow header', async () => {
      const response = await app.inject({ method: 'DELETE', url: '/v1/api/probe' });
      expect(response.statusCode).toBe(405);
      expect(response.headers.allow).toBe('POST');
      expect(response.json()).toEqual(authmatechError('METHOD_NOT_ALLOWED', 'METHOD_NOT_ALLOWED'));
    });

    it('answers an unexpected exception with 500 and no internals', async () => {
      const response = await app.inject({ method: 'GET', url: '/v1/api/explode' });
      expect(response.statusCode).toBe(500);
      expect(response.json()).toEqual(authmatechError('INTERNAL_ERROR', 'INTERNAL_SERVER_ERROR'));
      expect(response.body).not.toMatch(/secret-internal-detail|db\.ts|at /);
    });
  });

  describe('CAMARA paths', () => {
    it('answers an unknown path with 404 in CAMARA form and echoes x-correlator', async () => {
      const response = await app.inject({
        method: 'POST',
        url: '/sim-swap/v2/no-such-operation',
        headers: { 'x-correlator': 'b4333c46-49c0-4f62-80d7-f0ef930f1c46' },
      });
      expect(response.statusCode).toBe(404);
      expect(response.headers['x-correlator']).toBe('b4333c46-49c0-4f62-80d7-f0ef930f1c46');
      expect(response.json()).toEqual({
        status: 404,
        code: 'NOT_FOUND',
        message: expect.any(String),
      });
    });

    it('answers a 2 MB body with 413 in CAMARA form', async () => {
      const response = await app.inject({
        method: 'POST',
        url: '/sim-swap/v2/check',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ padding: 'x'.repeat(2 * 1024 * 1024) }),
      });
      expect(response.statusCode).toBe(413);
      expect(response.json()).toEqual({
        status: 413,
        code: 'PAYLOAD_TOO_LARGE',
        message: expect.any(String),
      });
    });

    it('answers an unexpected exception with 500 INTERNAL', async () => {
      const response = await app.inject({ method: 'GET', url: '/sim-swap/v2/explode' });
      expect(response.statusCode).toBe(500);
      expect(response.json()).toEqual({
        status: 500,
        code: 'INTERNAL',
        message: expect.any(String),
      });
      expect(response.body).not.toContain('Cannot read');
    });
  });

  describe('correlation', () => {
    it('generates a correlation id when the caller sends none', async () => {
      const response = await app.inject({ method: 'GET', url: '/health/live' });
      expect(response.headers['x-correlator']).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('rejects an x-correlator outside the CAMARA pattern with 400 and does not echo it', async () => {
      const response = await app.inject({
        method: 'POST',
        url: '/sim-swap/v2/check',
        headers: { 'x-correlator': 'has spaces & "quotes"' },
      });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({
        status: 400,
        code: 'INVALID_ARGUMENT',
        message: expect.any(String),
      });
      expect(response.headers['x-correlator']).not.toContain('quotes');
      expect(response.body).not.toContain('quotes');
    });
  });

  it('serves the OpenAPI document generated from the code', async () => {
    const response = await app.inject({ method: 'GET', url: '/docs/openapi.json' });
    expect(response.statusCode).toBe(200);
    expect(response.json().paths['/health/ready']).toBeDefined();
  });
});
