import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DatabaseLock, tryLock, waitForLock } from '../../src/common/database/database-locks.js';
import { PrismaService } from '../../src/common/database/prisma.service.js';
import { startTestApp } from '../support/test-app.js';
import {
  createTestDatabase,
  describeOnPostgres,
  type TestDatabase,
} from '../support/test-database.js';

/** A promise with its resolver, to hold a transaction open until the test lets it commit. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe('DatabaseLock', () => {
  it('gives every lock its own id', () => {
    const ids = Object.values(DatabaseLock).filter((value) => typeof value === 'number');
    expect(ids.length).toBeGreaterThan(0);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

// Two transactions at once need two connections: PostgreSQL, not the single-connection PGlite.
describeOnPostgres(tryLock.name, () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let prisma: PrismaService;

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await startTestApp(database, { JOBS_ENABLED: 'false' });
    prisma = app.get(PrismaService);
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('is refused to a second transaction while the first holds the lock, and free again once it commits', async () => {
    const taken = gate();
    const release = gate();
    const holder = prisma.transaction(async (tx) => {
      const locked = await tryLock(tx, DatabaseLock.IdempotencyPurge);
      taken.open();
      await release.promise;
      return locked;
    });
    await taken.promise;
    expect(await prisma.transaction((tx) => tryLock(tx, DatabaseLock.IdempotencyPurge))).toBe(
      false,
    );
    // Another lock id is independent of the one held.
    expect(await prisma.transaction((tx) => tryLock(tx, DatabaseLock.VerificationPurge))).toBe(
      true,
    );
    release.open();
    expect(await holder).toBe(true);
    expect(await prisma.transaction((tx) => tryLock(tx, DatabaseLock.IdempotencyPurge))).toBe(true);
  });

  it('makes waitForLock wait until the holder commits', async () => {
    const taken = gate();
    const release = gate();
    const order: string[] = [];
    const holder = prisma.transaction(async (tx) => {
      await waitForLock(tx, DatabaseLock.ProofKeyCreation);
      taken.open();
      await release.promise;
      order.push('holder commits');
    });
    await taken.promise;
    const waiter = prisma.transaction(async (tx) => {
      await waitForLock(tx, DatabaseLock.ProofKeyCreation);
      order.push('waiter holds the lock');
    });
    // The waiter is blocked in PostgreSQL: poll pg_locks until it is seen waiting, then release.
    const client = await database.connect();
    try {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const { rows } = await client.query<{ waiting: string }>(
          "SELECT count(*) AS waiting FROM pg_locks WHERE locktype = 'advisory' AND objid = $1 AND NOT granted",
          [DatabaseLock.ProofKeyCreation],
        );
        if (Number(rows[0]?.waiting) > 0) break;
        if (Date.now() > deadline) throw new Error('the waiter never queued for the lock');
        await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      await client.end();
    }
    release.open();
    await Promise.all([holder, waiter]);
    expect(order).toEqual(['holder commits', 'waiter holds the lock']);
  });
});
