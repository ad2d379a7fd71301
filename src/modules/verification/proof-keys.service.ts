import { randomBytes, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock/clock.js';
import { Environment } from '../../common/config/environment.js';
import { SealedStore, type SealedRows } from '../../common/crypto/sealed-store.js';
import { SecretBox } from '../../common/crypto/secret-box.js';
import { LRUCache } from 'lru-cache';
import { AuditService } from '../audit/audit.service.js';
import { ProofKeysRepository, type Tx } from './proof-keys.repository.js';

export interface ProofKey {
  kid: string;
  /** 32 bytes, for JWE dir + A256GCM. */
  key: Uint8Array;
}

const CACHE_TTL_MS = 5_000;

/**
 * The keys the Verification module encrypts its proofs with. One current key (created on first
 * use); `roll()` retires it and makes a new one, and a retired key still opens proofs for
 * PROOF_KEY_RETENTION_SECONDS. Stored sealed with SecretBox; cached in memory for ≤ 5 s, so after
 * a roll on another instance this one may encrypt with the previous key for that long (still
 * valid everywhere).
 */
@Injectable()
@SealedStore('proof_key')
export class ProofKeysService implements SealedRows {
  private currentCache: { value: ProofKey; loadedAt: number } | undefined;
  /** Keys by kid (misses too, as `{ value: undefined }`): LRU, so a flood of unknown kids cannot push out the keys in use. */
  private readonly byKid = new LRUCache<
    string,
    { value: (ProofKey & { retiredAt: number | null }) | undefined }
  >({
    max: 1_000,
    ttlResolution: 0, // the clock on every lookup, as CredentialCache
    ttl: CACHE_TTL_MS,
    fetchMethod: async (kid) => {
      const row = await this.repository.findProofKey(kid.toLowerCase());
      return {
        value: row
          ? {
              kid: row.id,
              key: this.openKey(row.sealedKey, row.sealedKeyVersion),
              retiredAt: row.retiredAt?.getTime() ?? null,
            }
          : undefined,
      };
    },
    // A read in flight during a roll answers its caller but is not kept.
    ignoreFetchAbort: true,
  });

  constructor(
    private readonly repository: ProofKeysRepository,
    private readonly audit: AuditService,
    private readonly box: SecretBox,
    private readonly clock: Clock,
    private readonly environment: Environment,
  ) {}

  async current(): Promise<ProofKey> {
    if (this.currentCache && Date.now() - this.currentCache.loadedAt < CACHE_TTL_MS)
      return this.currentCache.value;
    let row = await this.repository.findNewestProofKey();
    if (!row) {
      // Two instances starting together must not both create "the" first key: serialise on a lock.
      row = await this.repository.transaction(async (tx) => {
        await this.repository.lockProofKeys(tx);
        const existing = await this.repository.findNewestProofKey(tx);
        if (existing) return existing;
        await this.insert(tx);
        const created = await this.repository.findNewestProofKey(tx);
        if (!created) throw new Error('the proof key just inserted was not found');
        return created;
      });
    }
    const value = { kid: row.id, key: this.openKey(row.sealedKey, row.sealedKeyVersion) };
    this.currentCache = { value, loadedAt: Date.now() };
    return value;
  }

  async find(kid: string): Promise<ProofKey | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(kid)) return undefined;
    const found = (await this.byKid.fetch(kid))?.value;
    if (!found) return undefined;
    if (
      found.retiredAt !== null &&
      found.retiredAt + this.environment.PROOF_KEY_RETENTION_SECONDS * 1000 <=
        this.clock.now().getTime()
    ) {
      return undefined;
    }
    return { kid: found.kid, key: found.key };
  }

  /** Retires the current key and makes a new one; returns the new kid. */
  async roll(): Promise<string> {
    const kid = await this.repository.transaction(async (tx) => {
      await this.repository.lockProofKeys(tx);
      return this.replaceCurrent(tx);
    });
    this.forget();
    return kid;
  }

  /**
   * The job's roll: only when the current key is older than PROOF_KEY_MAX_AGE_HOURS, with its audit
   * event in the same transaction. The age is read under the creation lock, so two instances
   * running it at once roll once (the second finds a new key). Returns the new kid, or null.
   */
  async rollIfDue(): Promise<string | null> {
    const kid = await this.repository.transaction(async (tx) => {
      await this.repository.lockProofKeys(tx);
      if (!(await this.isDue(tx))) return null;
      const rolled = await this.replaceCurrent(tx);
      await this.audit.record(
        {
          action: 'proof_key.roll',
          contract: 'system',
          actorType: 'system',
          outcome: 'success',
          detail: { kid: rolled },
        },
        tx,
      );
      return rolled;
    });
    if (kid) this.forget();
    return kid;
  }

  async resealStale(tx: Tx): Promise<number> {
    const rows = await this.repository.listProofKeysNotUnder(this.box.currentKeyVersion, tx);
    for (const row of rows) {
      const sealed = this.box.seal(
        this.box.open({ ciphertext: row.sealedKey, keyVersion: row.sealedKeyVersion }),
      );
      await this.repository.updateProofKeySealed(row.id, sealed.ciphertext, sealed.keyVersion, tx);
    }
    return rows.length;
  }

  private async isDue(tx: Tx): Promise<boolean> {
    const row = await this.repository.findNewestProofKey(tx);
    return (
      !row ||
      row.createdAt.getTime() + this.environment.PROOF_KEY_MAX_AGE_HOURS * 3_600_000 <=
        this.clock.now().getTime()
    );
  }

  private async replaceCurrent(tx: Tx): Promise<string> {
    await this.repository.retireProofKeys(this.clock.now(), tx);
    return this.insert(tx);
  }

  private forget(): void {
    this.currentCache = undefined;
    this.byKid.clear();
  }

  private async insert(tx: Tx): Promise<string> {
    const kid = randomUUID();
    const sealed = this.box.seal(randomBytes(32).toString('base64url'));
    await this.repository.insertProofKey(
      kid,
      sealed.ciphertext,
      sealed.keyVersion,
      this.clock.now(),
      tx,
    );
    return kid;
  }

  private openKey(sealedKey: string, keyVersion: number): Uint8Array {
    return new Uint8Array(
      Buffer.from(this.box.open({ ciphertext: sealedKey, keyVersion }), 'base64url'),
    );
  }
}
