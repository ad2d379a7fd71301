import { Injectable, Logger } from '@nestjs/common';
import type { CredentialRef } from '../../common/auth/caller.js';
import { Clock } from '../../common/clock/clock.js';
import { Environment } from '../../common/config/environment.js';
import { CredentialAudit } from './credential-audit.js';
import { CredentialCache } from './credential-cache.js';
import { CredentialsRepository, type Credential, type Tx } from './credentials.repository.js';
import { toCredentialView } from './credential-views.js';
import { RateLimitRepository } from './rate-limit.repository.js';
import { SealedStore, type SealedRows } from '../../common/crypto/sealed-store.js';
import { SecretBox, storedSealedSecret } from '../../common/crypto/secret-box.js';
import { DatabaseLock, tryLock } from '../../common/database/database-locks.js';

export interface RotationDueReport {
  skipped: boolean;
  expired: number;
  dueForRotation: number;
}

/**
 * The credentials job's work, idempotent and on one instance at a time (a transaction-scoped
 * advisory lock; a second instance finds it taken and skips). Everything runs in that one
 * transaction, each change with its audit event, so the job either did a step and recorded it,
 * or neither. It is also the sealed store of the JWT signing secrets (re-sealed by the secrets job).
 */
@Injectable()
@SealedStore('credential')
export class CredentialsMaintenanceService implements SealedRows {
  private readonly logger = new Logger(CredentialsMaintenanceService.name);

  constructor(
    private readonly repository: CredentialsRepository,
    private readonly rateLimits: RateLimitRepository,
    private readonly audit: CredentialAudit,
    private readonly box: SecretBox,
    private readonly cache: CredentialCache,
    private readonly clock: Clock,
    private readonly environment: Environment,
  ) {}

  async runDue(): Promise<RotationDueReport> {
    const report = await this.repository.transaction(async (tx) => {
      if (!(await tryLock(tx, DatabaseLock.CredentialsMaintenance))) {
        return { skipped: true, expired: 0, dueForRotation: 0 };
      }
      const now = this.clock.now();
      const expired = await this.endPastValidity(now, tx);
      const dueForRotation = await this.noteDueForRotation(now, tx);
      // Housekeeping of the shared counters: replay markers past their token's expiry, old windows.
      await this.repository.deleteJwtIdsExpiredBefore(now, tx);
      await this.rateLimits.deleteWindowsBefore(new Date(now.getTime() - 3_600_000), tx);
      return { skipped: false, expired, dueForRotation };
    }, 120_000);
    if (report.expired > 0) this.cache.clear();
    return report;
  }

  /** (a) Credentials whose grace period or expiry has passed stop existing as valid rows. */
  private async endPastValidity(now: Date, tx: Tx): Promise<number> {
    const endable = await this.repository.listEndable(now, tx);
    const ended = await this.repository.endCredentials(
      endable.map((row) => row.id),
      'EXPIRED',
      now,
      tx,
    );
    for (const row of endable) {
      await this.audit.record(
        {
          action: 'credential.expire',
          contract: 'system',
          actorType: 'system',
          outcome: 'success',
          clientId: row.clientId ?? undefined,
          credential: refOf(row),
          detail: { expiresAt: row.expiresAt?.toISOString() },
        },
        tx,
      );
    }
    return ended;
  }

  /** (b) Past the maximum age: recorded and logged, never rotated under the client. */
  private async noteDueForRotation(now: Date, tx: Tx): Promise<number> {
    const cutoff = new Date(now.getTime() - this.environment.CREDENTIAL_MAX_AGE_DAYS * 86_400_000);
    const due = await this.repository.listDueForRotation(cutoff, tx);
    if (due.length === 0) return 0;
    await this.repository.markRotationDueNoted(
      due.map((row) => row.id),
      now,
      tx,
    );
    for (const row of due) {
      await this.audit.record(
        {
          action: 'credential.rotation_due',
          contract: 'system',
          actorType: 'system',
          outcome: 'success',
          clientId: row.clientId ?? undefined,
          credential: refOf(row),
          detail: {
            createdAt: row.createdAt.toISOString(),
            maxAgeDays: this.environment.CREDENTIAL_MAX_AGE_DAYS,
          },
        },
        tx,
      );
      this.logger.warn(
        `credential ${row.id} (${toCredentialView(row).kind}, fingerprint ${row.fingerprint}${row.clientId ? `, client ${row.clientId}` : ''}) is older than ${this.environment.CREDENTIAL_MAX_AGE_DAYS} days and due for rotation`,
      );
    }
    return due.length;
  }

  /** JWT signing secrets sealed under an older key-encryption key, re-sealed under the current one. */
  async resealStale(tx: Tx): Promise<number> {
    const rows = await this.repository.listSealedNotUnder(this.box.currentKeyVersion, tx);
    for (const row of rows) {
      const sealed = this.box.seal(
        this.box.open(storedSealedSecret(row.sealedSecret, row.sealedKeyVersion)),
      );
      await this.repository.updateSealed(row.id, sealed.ciphertext, sealed.keyVersion, tx);
    }
    return rows.length;
  }
}

function refOf(row: Credential): CredentialRef {
  const view = toCredentialView(row);
  return { kind: view.kind, id: row.id, fingerprint: row.fingerprint };
}
