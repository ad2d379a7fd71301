import { jest } from '@jest/globals';
import { Environment } from '../../common/config/environment.js';
import { CredentialCache } from './credential-cache.js';
import type { CredentialsRepository, CredentialWithClient } from './credentials.repository.js';
import type { SecretBox } from '../../common/crypto/secret-box.js';

const HOT_HASH = 'a'.repeat(64);

function credentialRow(id: string): CredentialWithClient {
  const at = new Date('2026-12-01T00:00:00Z');
  return {
    id,
    clientId: 'cli_hot',
    kind: 'API_KEY',
    keyHash: HOT_HASH,
    fingerprint: '0123456789abcdef',
    status: 'ACTIVE',
    role: null,
    expiresAt: null,
    client: {
      id: 'cli_hot',
      environment: 'SANDBOX',
      products: ['SIM_SWAP'],
      status: 'ACTIVE',
      rateLimitPerMinute: 1_000,
    },
    createdAt: at,
    sealedSecret: null,
    sealedKeyVersion: null,
  } as unknown as CredentialWithClient;
}

/** A repository that knows one credential (HOT_HASH) and counts its queries per hash. */
function fakeRepository() {
  const queries = new Map<string, number>();
  const pending: (() => void)[] = [];
  let hold = false;
  const repository = {
    findCredentialByHash: jest.fn(async (hash: string) => {
      queries.set(hash, (queries.get(hash) ?? 0) + 1);
      if (hold) await new Promise<void>((resolve) => pending.push(resolve));
      return hash === HOT_HASH ? credentialRow('cred_hot') : null;
    }),
    findCredentialById: jest.fn(() => Promise.resolve(null)),
  };
  return {
    repository: repository as unknown as CredentialsRepository,
    queriesOf: (hash: string) => queries.get(hash) ?? 0,
    totalQueries: () => repository.findCredentialByHash.mock.calls.length,
    holdLoads: () => (hold = true),
    releaseLoads: () => {
      hold = false;
      pending.splice(0).forEach((resolve) => {
        resolve();
      });
    },
  };
}

function cacheWith(repository: CredentialsRepository, ttlMs = 5_000): CredentialCache {
  const environment = Object.assign(new Environment(), { CREDENTIAL_CACHE_TTL_MS: ttlMs });
  return new CredentialCache(repository, {} as SecretBox, environment);
}

const bogusHash = (n: number): string => n.toString(16).padStart(64, '0');

describe(CredentialCache.name, () => {
  describe('eviction', () => {
    it('keeps a credential in use while a flood of well-formed unknown keys passes through', async () => {
      const fake = fakeRepository();
      // A TTL far beyond the loop's duration: this is about eviction, and a busy CI machine took
      // more than the default 5 s for the 25,000 lookups (the hot entry then expired, not evicted).
      const cache = cacheWith(fake.repository, 600_000);
      expect((await cache.byHash(HOT_HASH))?.id).toBe('cred_hot');
      // 2.5 times the cache's size in distinct bogus keys; the real client keeps calling meanwhile.
      for (let n = 0; n < 25_000; n += 1) {
        expect(await cache.byHash(bogusHash(n))).toBeNull();
        if (n % 1_000 === 0) expect((await cache.byHash(HOT_HASH))?.id).toBe('cred_hot');
      }
      expect(fake.queriesOf(HOT_HASH)).toBe(1);
    });

    it('still evicts the least recently used entry, so the flood itself is bounded', async () => {
      const fake = fakeRepository();
      const cache = cacheWith(fake.repository, 600_000);
      await cache.byHash(bogusHash(0));
      for (let n = 1; n <= 10_000; n += 1) await cache.byHash(bogusHash(n));
      await cache.byHash(bogusHash(0));
      expect(fake.queriesOf(bogusHash(0))).toBe(2);
      // The most recent ones are still there.
      await cache.byHash(bogusHash(10_000));
      expect(fake.queriesOf(bogusHash(10_000))).toBe(1);
    });
  });

  describe('loading', () => {
    it('makes one query for concurrent lookups of one key', async () => {
      const fake = fakeRepository();
      const cache = cacheWith(fake.repository);
      fake.holdLoads();
      const lookups = Array.from({ length: 20 }, () => cache.byHash(HOT_HASH));
      fake.releaseLoads();
      const results = await Promise.all(lookups);
      expect(results.every((record) => record?.id === 'cred_hot')).toBe(true);
      expect(fake.totalQueries()).toBe(1);
    });

    it('asks again once the TTL has passed, never before (the bound on revocation delay)', async () => {
      const ttlMs = 50;
      const fake = fakeRepository();
      const cache = cacheWith(fake.repository, ttlMs);
      await cache.byHash(HOT_HASH);
      const loadedAt = performance.now();
      // lru-cache reads performance.now() directly, so real time passes: poll with a deadline.
      const deadline = loadedAt + 5_000;
      while (fake.queriesOf(HOT_HASH) === 1 && performance.now() < deadline) {
        const before = performance.now();
        await cache.byHash(HOT_HASH);
        if (fake.queriesOf(HOT_HASH) === 1) expect(before - loadedAt).toBeLessThan(ttlMs);
        else expect(performance.now() - loadedAt).toBeGreaterThanOrEqual(ttlMs / 2);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      expect(fake.queriesOf(HOT_HASH)).toBe(2);
    });

    it('caches nothing with a TTL of 0, but still shares a query in flight', async () => {
      const fake = fakeRepository();
      const cache = cacheWith(fake.repository, 0);
      await cache.byHash(HOT_HASH);
      await cache.byHash(HOT_HASH);
      expect(fake.queriesOf(HOT_HASH)).toBe(2);
      fake.holdLoads();
      const both = [cache.byHash(HOT_HASH), cache.byHash(HOT_HASH)];
      fake.releaseLoads();
      await Promise.all(both);
      expect(fake.queriesOf(HOT_HASH)).toBe(3);
    });

    it('answers a load in flight when cleared, but does not keep what it read before the change', async () => {
      const fake = fakeRepository();
      const cache = cacheWith(fake.repository);
      fake.holdLoads();
      const before = cache.byHash(HOT_HASH);
      cache.clear();
      fake.releaseLoads();
      expect((await before)?.id).toBe('cred_hot');
      await cache.byHash(HOT_HASH);
      expect(fake.queriesOf(HOT_HASH)).toBe(2);
    });

    it('does not remember a failed query', async () => {
      const fake = fakeRepository();
      const cache = cacheWith(fake.repository);
      const repository = fake.repository as unknown as {
        findCredentialByHash: jest.Mock<(hash: string) => Promise<CredentialWithClient | null>>;
      };
      repository.findCredentialByHash.mockRejectedValueOnce(new Error('connection lost'));
      await expect(cache.byHash(HOT_HASH)).rejects.toThrow('connection lost');
      expect((await cache.byHash(HOT_HASH))?.id).toBe('cred_hot');
    });
  });
});
