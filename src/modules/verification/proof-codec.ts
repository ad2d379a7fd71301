import { randomUUID } from 'node:crypto';
import { compactDecrypt, CompactEncrypt, decodeProtectedHeader, errors } from 'jose';

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

/**
 * Seals and opens proofs: compact JWE, `dir` + `A256GCM` (authenticated encryption, so the client
 * can neither read nor alter the number), the key id in the protected header so rolled keys keep
 * opening the proofs they sealed.
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
    const proof = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify(claims)))
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid })
      .encrypt(key);
    return { proof, claims };
  }

  async open(proof: string): Promise<OpenedProof> {
    if (!COMPACT_JWE.test(proof)) throw new NotAProofError();
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(proof);
    } catch {
      throw new NotAProofError();
    }
    // A JWE header always names its algorithms; without them this is some other dotted string.
    if (typeof header.alg !== 'string' || typeof header.enc !== 'string')
      throw new NotAProofError();
    if (header.alg !== 'dir' || header.enc !== 'A256GCM' || typeof header.kid !== 'string') {
      return { kind: 'undecryptable' };
    }
    const key = await this.keys.find(header.kid);
    if (!key) return { kind: 'undecryptable' };
    try {
      const { plaintext } = await compactDecrypt(proof, key.key, {
        keyManagementAlgorithms: ['dir'],
        contentEncryptionAlgorithms: ['A256GCM'],
      });
      const claims: unknown = JSON.parse(new TextDecoder().decode(plaintext));
      return isClaims(claims) ? { kind: 'valid', claims } : { kind: 'undecryptable' };
    } catch (error) {
      if (error instanceof errors.JOSEError || error instanceof SyntaxError)
        return { kind: 'undecryptable' };
      throw error;
    }
  }
}
