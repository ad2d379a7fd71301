import { Injectable } from '@nestjs/common';
import { chainHash, GENESIS_HASH } from './audit-chain.js';
import { AuditRepository } from './audit.repository.js';

export type BrokenLinkKind =
  /** A position of the chain has no row (deleted row, or rows cut from the start without a retention event). */
  | 'missing'
  /** Two rows claim the same position. */
  | 'duplicate'
  /** The row does not point at the hash of the row before it (reordered or substituted rows). */
  | 'broken_link'
  /** The row's content no longer matches its hash (altered row). */
  | 'altered'
  /** The chain-head row disagrees with the last row. */
  | 'head_mismatch';

export interface IntegrityReport {
  ok: boolean;
  /** Events whose hash was recomputed. */
  checkedEvents: number;
  /** First position checked: 1, or the first retained position after retention. */
  fromPosition: string | null;
  /** The head at the start of the check; later events are left for the next check. */
  headPosition: string;
  headHash: string;
  /** The retention event that vouches for the start of the retained chain, when there is one. */
  retentionEventId: string | null;
  firstBroken: { position: string; kind: BrokenLinkKind; message: string } | null;
}

export interface ChainAnchor {
  position: string;
  hash: string;
  readAt: string;
}

/**
 * Recomputes the hash chain in order and reports the first broken link. Rows are read in large
 * keyset chunks on a dedicated connection and hashed with Node's crypto, so millions of events
 * take seconds, not minutes.
 */
@Injectable()
export class AuditIntegrityService {
  constructor(private readonly repository: AuditRepository) {}

  async anchor(now: Date): Promise<ChainAnchor> {
    const head = await this.repository.readHead();
    return { position: head.position.toString(), hash: head.hash, readAt: now.toISOString() };
  }

  async verify(): Promise<IntegrityReport> {
    const head = await this.repository.readHead();
    const first = await this.repository.firstPosition();
    const report = (
      checkedEvents: number,
      firstBroken: IntegrityReport['firstBroken'],
      retentionEventId: string | null = null,
    ): IntegrityReport => ({
      ok: firstBroken === null,
      checkedEvents,
      fromPosition: first?.toString() ?? null,
      headPosition: head.position.toString(),
      headHash: head.hash,
      retentionEventId,
      firstBroken,
    });

    if (first === undefined || first > head.position) {
      return head.position === 0n
        ? report(0, null)
        : report(0, { position: '1', kind: 'missing', message: `The head is at position ${head.position} but no event at or before it is stored.` });
    }

    let expectedPrev = GENESIS_HASH;
    let retentionEventId: string | null = null;
    if (first > 1n) {
      // Retention dropped the start of the chain; its event (itself in the chain, checked below)
      // names the last dropped position and hash, from which the retained chain continues.
      const retention = await this.repository.findRetentionEndingAt(first - 1n);
      if (!retention) {
        return report(0, {
          position: '1',
          kind: 'missing',
          message: `Positions 1 to ${first - 1n} are missing and no retention event accounts for them.`,
        });
      }
      expectedPrev = retention.throughHash;
      retentionEventId = retention.id;
    }

    let expected = first;
    let checked = 0;
    for await (const chunk of this.repository.streamChain(first - 1n, head.position)) {
      for (const record of chunk) {
        const position = BigInt(record.id);
        if (position !== expected) {
          return report(checked, position < expected
            ? { position: record.id, kind: 'duplicate', message: `More than one event claims position ${record.id}.` }
            : { position: expected.toString(), kind: 'missing', message: `The event at position ${expected} is missing.` }, retentionEventId);
        }
        if (record.prevHash !== expectedPrev) {
          return report(checked, {
            position: record.id,
            kind: 'broken_link',
            message: `The event at position ${record.id} does not follow the event before it (rows reordered or replaced).`,
          }, retentionEventId);
        }
        if (chainHash(record.prevHash, record) !== record.hash) {
          return report(checked, {
            position: record.id,
            kind: 'altered',
            message: `The content of the event at position ${record.id} does not match its hash (row altered).`,
          }, retentionEventId);
        }
        expectedPrev = record.hash;
        expected += 1n;
        checked += 1;
      }
    }
    if (expected - 1n !== head.position) {
      return report(checked, { position: expected.toString(), kind: 'missing', message: `The event at position ${expected} is missing (the head is at ${head.position}).` }, retentionEventId);
    }
    if (expectedPrev !== head.hash) {
      return report(checked, { position: head.position.toString(), kind: 'head_mismatch', message: 'The chain head does not match the last event.' }, retentionEventId);
    }
    return report(checked, null, retentionEventId);
  }
}
