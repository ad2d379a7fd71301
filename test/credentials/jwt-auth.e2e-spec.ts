import { createHmac, randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { CompactEncrypt, SignJWT } from 'jose';
import jwt from 'jsonwebtoken';
import { CredentialIssuanceService } from '../../src/modules/credentials/credential-issuance.service.js';
import type { CreatedClient } from '../../src/modules/credentials/credential-views.js';
import {
  createTestClient,
  jwtHeaders,
  signIdentityMatchJwt,
} from '../support/credentials-factory.js';
import {
  createTestDatabase,
  describeOnPostgres,
  type TestDatabase,
} from '../support/test-database.js';
import { startCredentialsTestApp } from './credentials-test-app.js';
import { ProbeModule } from './probe-routes.js';

const IDENTITY_MATCH_401 = { state: 'error', code: 'UNAUTHORIZED', message: 'Unauthorized' };
const CAMARA_401 = {
  status: 401,
  code: 'UNAUTHENTICATED',
  message: 'Request not authenticated due to missing, invalid, or expired credentials.',
};

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = (): number => Math.floor(Date.now() / 1000);

/** A compact JWS assembled by hand, for headers no library will produce. */
function handMade(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  secret: string | undefined,
): string {
  const signingInput = `${b64(header)}.${b64(payload)}`;
  const signature =
    secret === undefined
      ? ''
      : createHmac('sha256', secret).update(signingInput).digest('base64url');
  return `${signingInput}.${signature}`;
}

describeOnPostgres('JWT authentication (Identity Match and CAMARA contracts)', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let second: NestFastifyApplication;
  let client: CreatedClient;
  let other: CreatedClient;

  const call = (authorization: string | undefined, url = '/mobile-identity/probe', target = app) =>
    target.inject({
      method: 'GET',
      url,
      headers: authorization === undefined ? {} : { authorization },
    });
  const expectRejected = async (authorization: string | undefined): Promise<void> => {
    const response = await call(authorization);
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual(IDENTITY_MATCH_401);
  };
  const seedPayload = (lifetime = 60) => {
    const iat = now();
    return { iat, nbf: iat, exp: iat + lifetime };
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    // Many calls per second with one key: the per-key limit has its own test.
    const overrides = { JWT_KEY_RATE_LIMIT_PER_SECOND: '0' };
    app = await startCredentialsTestApp(database, { imports: [ProbeModule], overrides });
    second = await startCredentialsTestApp(database, { imports: [ProbeModule], overrides });
    client = await createTestClient(app);
    other = await createTestClient(app, { products: ['VERIFY'] });
  });

  afterAll(async () => {
    await app?.close();
    await second?.close();
    await database?.drop();
  });

  it('accepts a token built with jsonwebtoken exactly like the seed’s example (kid header, iat = nbf, exp = iat + 60)', async () => {
    const token = jwt.sign(seedPayload(), client.jwtSecret, {
      algorithm: 'HS256',
      header: { alg: 'HS256', typ: 'JWT', kid: client.jwtKeyId },
    });
    const response = await call(`Bearer ${token}`);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      clientId: client.clientId,
      credential: { kind: 'jwt_key', id: client.jwtKeyId },
    });
  });

  it('accepts the same token on a CAMARA path and answers failures there in CAMARA form', async () => {
    const accepted = await app.inject({
      method: 'POST',
      url: '/sim-swap/v2/probe',
      headers: jwtHeaders(client),
    });
    expect(accepted.statusCode).toBe(200);
    const rejected = await app.inject({
      method: 'POST',
      url: '/sim-swap/v2/probe',
      headers: { authorization: 'Bearer nope' },
    });
    expect(rejected.statusCode).toBe(401);
    expect(rejected.json()).toEqual(CAMARA_401);
  });

  it('answers a product the client has not enabled with 403 (PERMISSION_DENIED on CAMARA)', async () => {
    const camara = await app.inject({
      method: 'POST',
      url: '/sim-swap/v2/probe',
      headers: jwtHeaders(other),
    });
    expect(camara.statusCode).toBe(403);
    expect(camara.json()).toEqual({
      status: 403,
      code: 'PERMISSION_DENIED',
      message: expect.any(String),
    });
    const identityMatch = await call(jwtHeaders(other).authorization);
    expect(identityMatch.statusCode).toBe(403);
    expect(identityMatch.json()).toMatchObject({ state: 'error', code: 'PRODUCT_NOT_ENABLED' });
  });

  describe('refuses with the uniform 401', () => {
    it('a missing header, a non-Bearer scheme, and a duplicated Authorization header', async () => {
      await expectRejected(undefined);
      await expectRejected(`Basic ${Buffer.from('a:b').toString('base64')}`);
      const duplicated = await app.inject({
        method: 'GET',
        url: '/mobile-identity/probe',
        headers: {
          authorization: [
            `Bearer ${signIdentityMatchJwt(client)}`,
            `Bearer ${signIdentityMatchJwt(client)}`,
          ] as unknown as string,
        },
      });
      expect(duplicated.statusCode).toBe(401);
    });

    it.each(['none', 'None', 'NONE', 'nOnE'])('alg "%s" (unsigned token)', async (alg) => {
      await expectRejected(
        `Bearer ${handMade({ alg, typ: 'JWT', kid: client.jwtKeyId }, seedPayload(), undefined)}`,
      );
    });

    it.each(['HS384', 'HS512'])(
      'another HMAC algorithm (%s) signed with the right secret',
      async (alg) => {
        const token = jwt.sign(seedPayload(), client.jwtSecret, {
          algorithm: alg as jwt.Algorithm,
          header: { alg, kid: client.jwtKeyId },
        });
        await expectRejected(`Bearer ${token}`);
      },
    );

    it('RS256/ES256 headers with an HMAC signature (algorithm confusion)', async () => {
      for (const alg of ['RS256', 'ES256', 'PS256', 'EdDSA']) {
        await expectRejected(
          `Bearer ${handMade({ alg, typ: 'JWT', kid: client.jwtKeyId }, seedPayload(), client.jwtSecret)}`,
        );
      }
    });

    it('a JWE (encrypted token) instead of a JWS', async () => {
      const key = new TextEncoder().encode(client.jwtSecret.slice(0, 32));
      const jwe = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify(seedPayload())))
        .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: client.jwtKeyId })
        .encrypt(key);
      await expectRejected(`Bearer ${jwe}`);
    });

    it('a missing kid, a kid that is not a UUID, and an unknown kid', async () => {
      await expectRejected(
        `Bearer ${jwt.sign(seedPayload(), client.jwtSecret, { algorithm: 'HS256' })}`,
      );
      await expectRejected(
        `Bearer ${signIdentityMatchJwt(client, { header: { kid: "' OR 1=1 --" } })}`,
      );
      await expectRejected(`Bearer ${signIdentityMatchJwt(client, { header: { kid: 42 } })}`);
      await expectRejected(
        `Bearer ${signIdentityMatchJwt({ jwtKeyId: randomUUID(), jwtSecret: client.jwtSecret })}`,
      );
    });

    it('a signature made with another client’s secret under this kid', async () => {
      await expectRejected(
        `Bearer ${signIdentityMatchJwt({ jwtKeyId: client.jwtKeyId, jwtSecret: other.jwtSecret })}`,
      );
    });

    it('each of exp, iat and nbf missing', async () => {
      for (const missing of ['exp', 'iat', 'nbf']) {
        const payload: Record<string, unknown> = seedPayload();
        Reflect.deleteProperty(payload, missing);
        await expectRejected(
          `Bearer ${handMade({ alg: 'HS256', typ: 'JWT', kid: client.jwtKeyId }, payload, client.jwtSecret)}`,
        );
      }
    });

    it('an expired token, one not yet valid, and one issued in the future beyond the 30 s tolerance', async () => {
      await expectRejected(
        `Bearer ${signIdentityMatchJwt(client, { iat: now() - 200, lifetimeSeconds: 60 })}`,
      );
      const iat = now();
      await expectRejected(
        `Bearer ${handMade({ alg: 'HS256', typ: 'JWT', kid: client.jwtKeyId }, { iat, nbf: iat + 120, exp: iat + 180 }, client.jwtSecret)}`,
      );
      await expectRejected(
        `Bearer ${signIdentityMatchJwt(client, { iat: now() + 90, lifetimeSeconds: 60 })}`,
      );
    });

    it('a lifetime (exp − iat) above the 300 s maximum', async () => {
      await expectRejected(`Bearer ${signIdentityMatchJwt(client, { lifetimeSeconds: 301 })}`);
      const withinTolerance = await call(
        `Bearer ${signIdentityMatchJwt(client, { iat: now() + 20, lifetimeSeconds: 300 })}`,
      );
      expect(withinTolerance.statusCode).toBe(200);
    });

    it('any crit header, even one naming a parameter the token carries', async () => {
      await expectRejected(
        `Bearer ${handMade({ alg: 'HS256', typ: 'JWT', kid: client.jwtKeyId, crit: ['exp'], exp: 1 }, seedPayload(), client.jwtSecret)}`,
      );
    });

    it('a token above 4 KB', async () => {
      const big = `Bearer ${signIdentityMatchJwt(client, { header: { padding: 'x'.repeat(4_200) } })}`;
      await expectRejected(big);
    });

    it('a key offered in jwk/jku/x5u headers: those headers are never used to find the key', async () => {
      const attackerSecret = 'attacker-secret-attacker-secret-attacker-secret';
      const header = {
        alg: 'HS256',
        typ: 'JWT',
        kid: client.jwtKeyId,
        jwk: { kty: 'oct', k: Buffer.from(attackerSecret).toString('base64url') },
        jku: 'http://127.0.0.1:1/keys',
        x5u: 'http://127.0.0.1:1/cert',
      };
      await expectRejected(`Bearer ${handMade(header, seedPayload(), attackerSecret)}`);
      // The same headers on a token signed with the real secret change nothing.
      const genuine = await call(`Bearer ${handMade(header, seedPayload(), client.jwtSecret)}`);
      expect(genuine.statusCode).toBe(200);
    });

    it('a replayed jti, on the same and on another instance', async () => {
      const token = `Bearer ${signIdentityMatchJwt(client, { jti: randomUUID() })}`;
      expect((await call(token)).statusCode).toBe(200);
      expect((await call(token)).statusCode).toBe(401);
      const response = await call(token, '/mobile-identity/probe', second);
      expect(response.statusCode).toBe(401);
      expect(response.json()).toEqual(IDENTITY_MATCH_401);
      // Without a jti the token is reusable within its lifetime, as the seed's tokens are.
      const plain = `Bearer ${signIdentityMatchJwt(client)}`;
      expect((await call(plain)).statusCode).toBe(200);
      expect((await call(plain, '/mobile-identity/probe', second)).statusCode).toBe(200);
    });

    it('a token whose key was revoked', async () => {
      const victim = await createTestClient(app);
      expect((await call(jwtHeaders(victim).authorization)).statusCode).toBe(200);
      await app
        .get(CredentialIssuanceService)
        .revokeCredential(victim.clientId, victim.jwtKeyId, { type: 'system', contract: 'system' });
      await expectRejected(jwtHeaders(victim).authorization);
    });

    it('a jose-signed token with a kid of another client’s key and this client’s secret', async () => {
      const token = await new SignJWT({})
        .setProtectedHeader({ alg: 'HS256', kid: other.jwtKeyId })
        .setIssuedAt()
        .setNotBefore('0s')
        .setExpirationTime('60s')
        .sign(new TextEncoder().encode(client.jwtSecret));
      await expectRejected(`Bearer ${token}`);
    });
  });
});
