import type { Prisma } from './prisma.service.js';

/**
 * Every PostgreSQL advisory lock id the gateway takes, in one place so that no two uses share an
 * id by accident. The values are those earlier releases used: during a rolling deploy, instances of
 * two versions still exclude each other.
 */
export enum DatabaseLock {
  /** Prisma's own migrate engine takes this id, so our runner and `prisma migrate` exclude each other. */
  Migrate = 72_707_369,
  /**
   * The credentials job: expiry, rotation notices. (Until the secrets job took them over it also
   * re-sealed and rolled the proof key; an instance of that release still excludes the secrets job
   * of this one only through row locks, which is safe: re-sealing is idempotent.)
   */
  CredentialsMaintenance = 30_231_123,
  /** Proof-key creation and the proof-key roll, so two instances never both create or roll a key. */
  ProofKeyCreation = 30_231_124,
  /** The secrets job: re-sealing every sealed store under the current key-encryption key. */
  SecretsReseal = 30_231_125,
  /** The purge of spent-proof markers and old enrichment sessions. */
  VerificationPurge = 5_040_001,
  /** Audit retention ("audi" in ASCII): partitions created and dropped by one instance. */
  AuditRetention = 0x61756469,
  /** Starting a stored chain check ("avrn"), so two starts cannot both begin one. */
  AuditVerificationRunStart = 0x6176726e,
  /** The CAMARA retrieve-date poll (session-level: the tick makes HTTP calls outside a transaction). */
  SwapPoll = 16_160_001,
  /** The upstream subscription tick: subscribes waiting numbers at operators and deletes unused subscriptions. */
  SwapUpstream = 16_160_002,
  /** The purge of expired idempotency keys. */
  IdempotencyPurge = 72_707_412,
}

/**
 * Takes `lock` for the rest of the transaction if no one holds it: false means another instance
 * is doing the work, so the caller skips it. Transaction-scoped, so it is released at commit or
 * rollback and a crashed holder never blocks the others.
 */
export async function tryLock(tx: Prisma.TransactionClient, lock: DatabaseLock): Promise<boolean> {
  const rows = await tx.$queryRaw<
    { locked: boolean }[]
  >`SELECT pg_try_advisory_xact_lock(${lock}::bigint) AS locked`;
  return rows.at(0)?.locked === true;
}

/** Waits for `lock` and holds it for the rest of the transaction (released at commit or rollback). */
export async function waitForLock(tx: Prisma.TransactionClient, lock: DatabaseLock): Promise<void> {
  // `SELECT 1 … FROM` so the row has a plain column: pg_advisory_xact_lock itself returns void.
  await tx.$queryRaw`SELECT 1 AS locked FROM pg_advisory_xact_lock(${lock}::bigint)`;
}
