import { randomBytes } from 'node:crypto';
import { compactDecrypt, CompactEncrypt } from 'jose';
import { NotAProofError, ProofCodec, type ProofKey, type ProofKeySource } from './proof-codec.js';

class FixedKeys implements ProofKeySource {
  readonly keys = new Map<string, ProofKey>();
  currentKid = 'k1';

  constructor() {
    this.add('k1');
  }

  add(kid: string): void {
    this.keys.set(kid, { kid, key: new Uint8Array(randomBytes(32)) });
  }

  current(): Promise<ProofKey> {
    return Promise.resolve(this.keys.get(this.currentKid)!);
  }

  find(kid: string): Promise<ProofKey | undefined> {
    return Promise.resolve(this.keys.get(kid));
  }
}

const input = { number: '+962791234567', operator: 'ZAIN_JO', clientId: 'cli_a', sessionId: 's-1' };

describe(ProofCodec.name, () => {
  it('opens a proof it sealed and reads back every claim', async () => {
    const codec = new ProofCodec(new FixedKeys());
    const { proof, claims } = await codec.seal(input, new Date('2026-11-23T10:00:00Z'), 300);
    expect(proof.split('.')).toHaveLength(5);
    expect(proof).not.toContain('962791234567');
    expect(claims).toMatchObject({ ...input, iat: 1_795_428_000, exp: 1_795_428_300 });
    await expect(codec.open(proof)).resolves.toEqual({ kind: 'valid', claims });
  });

  it('names the key in the protected header and keeps opening proofs of a rolled key', async () => {
    const keys = new FixedKeys();
    const codec = new ProofCodec(keys);
    const { proof } = await codec.seal(input, new Date(), 300);
    const header = JSON.parse(Buffer.from(proof.split('.')[0], 'base64url').toString()) as Record<
      string,
      string
    >;
    expect(header).toEqual({ alg: 'dir', enc: 'A256GCM', kid: 'k1' });
    keys.add('k2');
    keys.currentKid = 'k2';
    await expect(codec.open(proof)).resolves.toMatchObject({ kind: 'valid' });
  });

  it('reports a proof whose key is gone or whose ciphertext was altered as undecryptable', async () => {
    const keys = new FixedKeys();
    const codec = new ProofCodec(keys);
    const { proof } = await codec.seal(input, new Date(), 300);
    const parts = proof.split('.');
    const tampered = [...parts.slice(0, 3), `${parts[3].slice(0, -2)}AA`, parts[4]].join('.');
    await expect(codec.open(tampered)).resolves.toEqual({ kind: 'undecryptable' });
    keys.keys.delete('k1');
    await expect(codec.open(proof)).resolves.toEqual({ kind: 'undecryptable' });
  });

  it('refuses values that are not a compact JWE at all', async () => {
    const codec = new ProofCodec(new FixedKeys());
    for (const value of ['BASE64_ENCRYPTED_BLOB_FROM_SDK', 'a.b.c', 'e30.x.y.z.w', '!!.a.b.c.d']) {
      await expect(codec.open(value)).rejects.toBeInstanceOf(NotAProofError);
    }
  });

  it('reads and writes standard compact JWE, as jose does (both directions)', async () => {
    const keys = new FixedKeys();
    const codec = new ProofCodec(keys);
    const key = keys.keys.get('k1')!.key;
    const { proof, claims } = await codec.seal(input, new Date(), 300);
    const { plaintext, protectedHeader } = await compactDecrypt(proof, key);
    expect(protectedHeader).toEqual({ alg: 'dir', enc: 'A256GCM', kid: 'k1' });
    expect(JSON.parse(new TextDecoder().decode(plaintext))).toEqual(claims);

    const foreign = { ...claims, jti: '0b8f3c2e-4d5a-4b6c-8d7e-9f0a1b2c3d4e' };
    const byJose = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify(foreign)))
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: 'k1' })
      .encrypt(key);
    await expect(codec.open(byJose)).resolves.toEqual({ kind: 'valid', claims: foreign });
  });

  it('treats a header with other algorithms, a wrapped key or compression as undecryptable', async () => {
    const keys = new FixedKeys();
    const codec = new ProofCodec(keys);
    const { proof } = await codec.seal(input, new Date(), 300);
    const [, ...rest] = proof.split('.');
    const withHeader = (header: Record<string, unknown>) =>
      [Buffer.from(JSON.stringify(header)).toString('base64url'), ...rest].join('.');
    for (const header of [
      { alg: 'dir', enc: 'A128GCM', kid: 'k1' },
      { alg: 'A256KW', enc: 'A256GCM', kid: 'k1' },
      { alg: 'dir', enc: 'A256GCM', kid: 'k1', zip: 'DEF' },
      { alg: 'dir', enc: 'A256GCM', kid: 'k1', x: 1 },
    ]) {
      await expect(codec.open(withHeader(header))).resolves.toEqual({ kind: 'undecryptable' });
    }
    const withKey = [proof.split('.')[0], 'AAAA', ...proof.split('.').slice(2)].join('.');
    await expect(codec.open(withKey)).resolves.toEqual({ kind: 'undecryptable' });
  });
});
