import { jest } from '@jest/globals';
import type { Environment } from '../../common/config/environment.js';
import type { SecretBox } from '../../common/crypto/secret-box.js';
import type { AuditService } from '../audit/audit.service.js';
import type { ProofKeysRepository, Tx } from './proof-keys.repository.js';
import { ProofKeysService } from './proof-keys.service.js';

// The proof key's rotation rules, with a hand-made repository (no database): when a key is due,
// how it is rolled, and how long a retired key still opens proofs.

const NOW = new Date('2026-12-06T12:00:00Z');
const TX = { tx: true } as unknown as Tx;

/** A clock the test moves. */
function clockAt(at: Date) {
  let now = at.getTime();
  return { clock: { now: () => new Date(now) }, advance: (ms: number) => (now += ms) };
}

/** An identity SecretBox: sealing is not what these rules are about. */
const box = {
  seal: (value: string) => ({ ciphertext: value, keyVersion: 1 }),
  open: (sealed: { ciphertext: string }) => sealed.ciphertext,
  currentKeyVersion: 1,
} as unknown as SecretBox;

describe('proof keys: due, rolled, retained', () => {
  const KEY = Buffer.alloc(32, 7).toString('base64url');
  const OLD_KID = '44444444-4444-4444-8444-444444444444';
  const MAX_AGE_HOURS = 24;
  const RETENTION_SECONDS = 600;

  function proofKeys(
    rows: { newest?: { createdAt: Date }; byKid?: { retiredAt: Date | null } } = {},
  ) {
    const { clock, advance } = clockAt(NOW);
    const log: string[] = [];
    const transaction = jest.fn((work: (tx: Tx) => Promise<unknown>) => work(TX));
    const repository = {
      findNewestProofKey: jest.fn(() =>
        Promise.resolve(
          rows.newest
            ? { id: OLD_KID, sealedKey: KEY, sealedKeyVersion: 1, createdAt: rows.newest.createdAt }
            : null,
        ),
      ),
      transaction,
      findProofKey: jest.fn((kid: string) =>
        Promise.resolve(
          rows.byKid
            ? { id: kid, sealedKey: KEY, sealedKeyVersion: 1, retiredAt: rows.byKid.retiredAt }
            : null,
        ),
      ),
      lockProofKeys: jest.fn(() => {
        log.push('lock');
        return Promise.resolve();
      }),
      retireProofKeys: jest.fn((at: Date) => {
        log.push(`retire at ${at.toISOString()}`);
        return Promise.resolve();
      }),
      insertProofKey: jest.fn((kid: string) => {
        log.push(`insert ${kid}`);
        return Promise.resolve();
      }),
    };
    const audit = {
      record: jest.fn((event: { action: string }) => {
        log.push(`audit ${event.action}`);
        return Promise.resolve();
      }),
    };
    const environment = {
      PROOF_KEY_MAX_AGE_HOURS: MAX_AGE_HOURS,
      PROOF_KEY_RETENTION_SECONDS: RETENTION_SECONDS,
    } as Environment;
    const service = new ProofKeysService(
      repository as unknown as ProofKeysRepository,
      audit as unknown as AuditService,
      box,
      clock,
      environment,
    );
    return { service, repository, transaction, audit, log, advance };
  }

  it('rolls when there is no key yet, with its audit event in the same transaction', async () => {
    const { service, log, transaction } = proofKeys();
    const kid = await service.rollIfDue();
    expect(kid).toEqual(expect.any(String));
    expect(log).toEqual([
      'lock',
      `retire at ${NOW.toISOString()}`,
      `insert ${kid}`,
      'audit proof_key.roll',
    ]);
    expect(transaction).toHaveBeenCalledTimes(1);
  });

  it('is due once the newest key is PROOF_KEY_MAX_AGE_HOURS old, not a millisecond before', async () => {
    const age = MAX_AGE_HOURS * 3_600_000;
    const young = proofKeys({ newest: { createdAt: new Date(NOW.getTime() - age + 1) } });
    await expect(young.service.rollIfDue()).resolves.toBeNull();
    expect(young.repository.insertProofKey).not.toHaveBeenCalled();
    expect(young.audit.record).not.toHaveBeenCalled();
    const old = proofKeys({ newest: { createdAt: new Date(NOW.getTime() - age) } });
    await expect(old.service.rollIfDue()).resolves.toEqual(expect.any(String));
    expect(old.repository.insertProofKey).toHaveBeenCalledTimes(1);
  });

  it('reads the age under the lock, so a second instance finds the key the first one rolled', async () => {
    const { service, log } = proofKeys({ newest: { createdAt: new Date(NOW.getTime() - 1) } });
    await service.rollIfDue();
    expect(log).toEqual(['lock']);
  });

  it('rolls by retiring the current keys, then adding the new one, under the lock, in one transaction', async () => {
    const { service, log, transaction } = proofKeys();
    const kid = await service.roll();
    expect(log).toEqual(['lock', `retire at ${NOW.toISOString()}`, `insert ${kid}`]);
    expect(transaction).toHaveBeenCalledTimes(1);
  });

  it('opens proofs with a key that is not retired, whatever its age', async () => {
    const { service, advance } = proofKeys({ byKid: { retiredAt: null } });
    advance(365 * 86_400_000);
    await expect(service.find(OLD_KID)).resolves.toMatchObject({ kid: OLD_KID });
  });

  it('still opens proofs with a retired key during PROOF_KEY_RETENTION_SECONDS after its retirement, and not from then on', async () => {
    const retiredAt = new Date(NOW.getTime() - RETENTION_SECONDS * 1000 + 1);
    await expect(proofKeys({ byKid: { retiredAt } }).service.find(OLD_KID)).resolves.toMatchObject({
      kid: OLD_KID,
    });
    const ended = new Date(NOW.getTime() - RETENTION_SECONDS * 1000);
    await expect(
      proofKeys({ byKid: { retiredAt: ended } }).service.find(OLD_KID),
    ).resolves.toBeUndefined();
  });

  it('forgets what it cached when it rolls, so a key retired by the roll is read again', async () => {
    const { service, repository } = proofKeys({ byKid: { retiredAt: null } });
    await service.find(OLD_KID);
    await service.find(OLD_KID);
    expect(repository.findProofKey).toHaveBeenCalledTimes(1);
    await service.roll();
    await service.find(OLD_KID);
    expect(repository.findProofKey).toHaveBeenCalledTimes(2);
  });
});
