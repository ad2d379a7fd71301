import { createHmac, randomBytes } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import { verifyHs256 } from './hs256.js';

const secret = new Uint8Array(randomBytes(32));
const now = new Date('2026-12-03T12:00:00Z');
const t = Math.floor(now.getTime() / 1000);
const policy = { toleranceSeconds: 5, maxAgeSeconds: 300, now };

function sign(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  key: Uint8Array = secret,
): string {
  const encoded = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  return `${encoded}.${createHmac('sha256', key).update(encoded).digest('base64url')}`;
}

async function joseAccepts(token: string): Promise<boolean> {
  try {
    await jwtVerify(token, secret, {
      algorithms: ['HS256'],
      clockTolerance: 5,
      currentDate: now,
      requiredClaims: ['exp', 'iat', 'nbf'],
      maxTokenAge: 300,
    });
    return true;
  } catch {
    return false;
  }
}

const HS256 = { alg: 'HS256', typ: 'JWT', kid: 'k' };
const cases: [string, string][] = [
  ['valid', sign(HS256, { iat: t, nbf: t, exp: t + 60 })],
  ['valid, extra claims', sign(HS256, { iat: t, nbf: t, exp: t + 60, jti: 'x', sub: 'y' })],
  ['expired', sign(HS256, { iat: t - 100, nbf: t - 100, exp: t - 10 })],
  ['expired within tolerance', sign(HS256, { iat: t - 100, nbf: t - 100, exp: t - 3 })],
  ['not yet valid', sign(HS256, { iat: t, nbf: t + 60, exp: t + 120 })],
  ['nbf within tolerance', sign(HS256, { iat: t, nbf: t + 4, exp: t + 120 })],
  ['iat in the future', sign(HS256, { iat: t + 60, nbf: t, exp: t + 120 })],
  ['too old', sign(HS256, { iat: t - 400, nbf: t - 400, exp: t + 60 })],
  ['missing nbf', sign(HS256, { iat: t, exp: t + 60 })],
  ['missing exp', sign(HS256, { iat: t, nbf: t })],
  ['string exp', sign(HS256, { iat: t, nbf: t, exp: String(t + 60) })],
  ['alg none', sign({ alg: 'none' }, { iat: t, nbf: t, exp: t + 60 })],
  ['alg HS512 header', sign({ alg: 'HS512' }, { iat: t, nbf: t, exp: t + 60 })],
  ['wrong key', sign(HS256, { iat: t, nbf: t, exp: t + 60 }, new Uint8Array(randomBytes(32)))],
  ['payload array', sign(HS256, [] as unknown as Record<string, unknown>)],
  ['b64 false', sign({ ...HS256, b64: false, crit: ['b64'] }, { iat: t, nbf: t, exp: t + 60 })],
];

describe(verifyHs256.name, () => {
  it.each(cases)('agrees with jose: %s', async (_name, token) => {
    expect(verifyHs256(token, secret, policy) !== undefined).toBe(await joseAccepts(token));
  });

  it('accepts what jose signs and refuses any altered byte', async () => {
    const token = await new SignJWT({ jti: 'a' })
      .setProtectedHeader({ alg: 'HS256', kid: 'k' })
      .setIssuedAt(t)
      .setNotBefore(t)
      .setExpirationTime(t + 60)
      .sign(secret);
    expect(verifyHs256(token, secret, policy)).toEqual({ iat: t, nbf: t, exp: t + 60, jti: 'a' });
    for (let index = 0; index < token.length; index += 7) {
      if (token[index] === '.') continue;
      const altered =
        token.slice(0, index) + (token[index] === 'A' ? 'B' : 'A') + token.slice(index + 1);
      // A segment's last base64url character carries unused low bits: A↔B there may decode to the
      // same bytes, which alters nothing (the test failed on such a token now and then).
      const segmentOf = (jwt: string): string =>
        jwt.slice(jwt.lastIndexOf('.', index) + 1).split('.')[0];
      if (
        Buffer.from(segmentOf(altered), 'base64url').equals(
          Buffer.from(segmentOf(token), 'base64url'),
        )
      )
        continue;
      expect(verifyHs256(altered, secret, policy)).toBeUndefined();
    }
  });
});
