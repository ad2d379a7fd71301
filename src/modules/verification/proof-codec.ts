import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';

/** What a proof holds. Opaque to the client: only the gateway can read it. */
export interface ProofClaims {
  /** Proof id; spent once (proof_use). */
  jti: string;
  number: string;
  operator: string;
  clientId: string;
  sessionId: string;
  /** Seconds since the epoch. */
  iat: number;
  exp: number;
}

export interface ProofKey {
  kid: string;
  key: Uint8Array;
}

/** Where proof keys come from (the Credentials module's ProofKeysService has this shape). */
export interface ProofKeySource {
  current(): Promise<ProofKey>;
  find(kid: string): Promise<ProofKey | undefined>;
}

export type OpenedProof =
  | { kind: 'valid'; claims: ProofClaims }
  /** A JWE, but no current or still-valid key opens it (tampered, forged, or its key retired). */
  | { kind: 'undecryptable' };

const COMPACT_JWE =
  /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** Thrown for a value that is not a compact JWE at all (answered 400, not a verdict). */
export class NotAProofError extends Error {
  constructor() {
    super('not a compact JWE');
    this.name = 'NotAProofError';
  }
}

function isClaims(value: unknown): value is ProofClaims {
  if (typeof value !== 'object' || value === null) return false;
  const claims = value as Record<string, unknown>;
  return (
    ['jti', 'number', 'operator', 'clientId', 'sessionId'].every(
      (key) => typeof claims[key] === 'string',
    ) &&
    Number.isInteger(claims.iat) &&
    Number.isInteger(claims.exp)
  );
}

function headerOf(encoded: string): Record<string, unknown> | undefined {
  try {
    const header: unknown = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
    return typeof header === 'object' && header !== null && !Array.isArray(header)
      ? (header as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Seals and opens proofs: compact JWE (RFC 7516), `dir` + `A256GCM` (authenticated encryption, so
 * the client can neither read nor alter the number), the key id in the protected header so rolled
 * keys keep opening the proofs they sealed.
 *
 * Written on node:crypto rather than jose's compactDecrypt: `dir` + A256GCM is one AES-GCM call
 * with the encoded header as additional data, and jose's WebCrypto path (a key import and an
 * async subtle call per proof) cost more than the rest of a verify's crypto together. The unit
 * tests check both directions against jose, so the format stays standard.
 */
export class ProofCodec {
  constructor(private readonly keys: ProofKeySource) {}

  async seal(
    input: Omit<ProofClaims, 'jti' | 'iat' | 'exp'>,
    issuedAt: Date,
    ttlSeconds: number,
  ): Promise<{ proof: string; claims: ProofClaims }> {
    const { kid, key } = await this.keys.current();
    const iat = Math.floor(issuedAt.getTime() / 1000);
    const claims: ProofClaims = { jti: randomUUID(), ...input, iat, exp: iat + ttlSeconds };
    const header = Buffer.from(JSON.stringify({ alg: 'dir', enc: 'A256GCM', kid })).toString(
      'base64url',
    );
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(header, 'ascii'));
    const ciphertext = Buffer.concat([
      cipher.update(JSON.stringify(claims), 'utf8'),
      cipher.final(),
    ]);
    const proof = `${header}..${iv.toString('base64url')}.${ciphertext.toString('base64url')}.${cipher.getAuthTag().toString('base64url')}`;
    return { proof, claims };
  }

  async open(proof: string): Promise<OpenedProof> {
    if (!COMPACT_JWE.test(proof)) throw new NotAProofError();
    const [encodedHeader, encryptedKey, encodedIv, encodedCiphertext, encodedTag] =
      proof.split('.');
    const header = headerOf(encodedHeader);
    // A JWE header always names its algorithms; without them this is some other dotted string.
    if (!header || typeof header.alg !== 'string' || typeof header.enc !== 'string')
      throw new NotAProofError();
    if (
      header.alg !== 'dir' ||
      header.enc !== 'A256GCM' ||
      typeof header.kid !== 'string' ||
      header.zip !== undefined ||
      header.crit !== undefined ||
      encryptedKey !== ''
    ) {
      return { kind: 'undecryptable' };
    }
    const key = await this.keys.find(header.kid);
    const iv = Buffer.from(encodedIv, 'base64url');
    const tag = Buffer.from(encodedTag, 'base64url');
    if (!key || key.key.length !== 32 || iv.length !== 12 || tag.length !== 16)
      return { kind: 'undecryptable' };
    let plaintext: string;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key.key, iv, { authTagLength: 16 });
      decipher.setAAD(Buffer.from(encodedHeader, 'ascii'));
      decipher.setAuthTag(tag);
      plaintext = Buffer.concat([
        decipher.update(Buffer.from(encodedCiphertext, 'base64url')),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      return { kind: 'undecryptable' }; // wrong key, or altered header, iv, ciphertext or tag
    }
    try {
      const claims: unknown = JSON.parse(plaintext);
      return isClaims(claims) ? { kind: 'valid', claims } : { kind: 'undecryptable' };
    } catch {
      return { kind: 'undecryptable' };
    }
  }
}
