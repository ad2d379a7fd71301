import { Injectable } from '@nestjs/common';
import { chainHashV1, GENESIS_HASH, linkHash } from './audit-chain.js';
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
  | 'head_mismatch'
  /** A retention event claims a drop the retention policy in force did not allow (forged, or the policy was bypassed). */
  | 'retention_not_allowed';

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

export interface VerifyOptions {
  /** Called now and then with the events checked so far and the total to check. */
  onProgress?: (checked: number, total: number) => void;
}

export interface ChainAnchor {
  position: string;
  hash: string;
  readAt: string;
}

/** How a stored chain compares with an anchor kept outside the database. */
export interface AnchorCheck {
  ok: boolean;
  position: string;
  hash: string;
  /** Why it does not match; null when it does. */
  problem: 'missing' | 'hash_mismatch' | null;
  message: string;
}

const DAY_MS = 86_400_000;
type Broken = NonNullable<IntegrityReport['firstBroken']>;

/**
 * Recomputes the hash chain in order and reports the first broken link. For format-2 events the
 * database recomputes each content digest from the stored columns (at C speed, on its own core)
 * while Node re-links the digests in order; format-1 events are rehashed whole in Node. Every
 * retention event is checked against the owner-set retention policy.
 */
@Injectable()
export class AuditIntegrityService {
  constructor(private readonly repository: AuditRepository) {}

  async anchor(now: Date): Promise<ChainAnchor> {
    const head = await this.repository.readHead();
    return { position: head.position.toString(), hash: head.hash, readAt: now.toISOString() };
  }

  /**
   * Whether the stored chain still has `anchor.hash` at `anchor.position`. A chain rewritten or cut
   * back by someone with the owner's rights can verify on its own; only this comparison reveals it.
   * A position dropped by retention matches through the retention event that names its hash.
   */
  async checkAnchor(anchor: { position: string; hash: string }): Promise<AnchorCheck> {
    const { position, hash } = anchor;
    const result = (problem: AnchorCheck['problem'], message: string): AnchorCheck => ({
      ok: problem === null,
      position,
      hash,
      problem,
      message,
    });
    const head = await this.repository.readHead();
    if (BigInt(position) > head.position) {
      return result(
        'missing',
        `The anchor's position ${position} is beyond the chain head at ${head.position}: events after ${head.position} were removed.`,
      );
    }
    if (position === '0')
      return hash === GENESIS_HASH
        ? result(null, 'The anchor is the empty chain.')
        : result('hash_mismatch', "The anchor's position 0 can only have the genesis hash.");
    const stored =
      (await this.repository.findById(position))?.hash ??
      (await this.repository.findRetentionEndingAt(BigInt(position)))?.throughHash;
    if (stored === undefined) {
      const first = await this.repository.firstPosition();
      return result(
        'missing',
        first !== undefined && first > BigInt(position)
          ? `The anchor's position ${position} was dropped by retention (the retained chain starts at ${first}) and can no longer be compared: keep a newer anchor.`
          : `The chain has no event at the anchor's position ${position}.`,
      );
    }
    if (stored !== hash)
      return result(
        'hash_mismatch',
        `The event at the anchor's position ${position} has hash ${stored}, not the anchor's ${hash}: the chain was rewritten.`,
      );
    return result(null, `The chain has the anchor's hash at position ${position}.`);
  }

  async verify(options: VerifyOptions = {}): Promise<IntegrityReport> {
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
        : report(0, {
            position: '1',
            kind: 'missing',
            message: `The head is at position ${head.position} but no event at or before it is stored.`,
          });
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
    // A retention event the policy did not allow is reported when the walk reaches it, unless
    // the chain breaks earlier.
    const notAllowed = await this.firstRetentionNotAllowed(head.position);

    const total = Number(head.position - first + 1n);
    const formatTwoFrom = await this.repository.formatTwoFrom();
    let expected = first;
    let checked = 0;
    const progress = (): void => options.onProgress?.(checked, total);
    const stopAt = (position: bigint): Broken | undefined =>
      notAllowed && BigInt(notAllowed.position) <= position ? notAllowed : undefined;

    const v1Through = formatTwoFrom - 1n < head.position ? formatTwoFrom - 1n : head.position;
    if (expected <= v1Through) {
      for await (const chunk of this.repository.streamChainV1(expected - 1n, v1Through)) {
        for (const record of chunk) {
          const position = BigInt(record.id);
          const broken =
            stopAt(position) ??
            this.linkProblem(position, expected, record.id, record.prevHash, expectedPrev) ??
            (chainHashV1(record.prevHash, record) !== record.hash ? altered(record.id) : undefined);
          if (broken) return report(checked, broken, retentionEventId);
          expectedPrev = record.hash;
          expected += 1n;
          checked += 1;
        }
        progress();
      }
    }
    for await (const chunk of this.repository.streamLinks(expected - 1n, head.position)) {
      for (const link of chunk) {
        const position = BigInt(link.id);
        const broken =
          stopAt(position) ??
          this.linkProblem(position, expected, link.id, link.prevHash, expectedPrev) ??
          (linkHash(link.prevHash, link.id, link.occurredAt, link.digest) !== link.hash
            ? altered(link.id)
            : undefined);
        if (broken) return report(checked, broken, retentionEventId);
        expectedPrev = link.hash;
        expected += 1n;
        checked += 1;
      }
      progress();
    }
    if (expected - 1n !== head.position) {
      return report(
        checked,
        {
          position: expected.toString(),
          kind: 'missing',
          message: `The event at position ${expected} is missing (the head is at ${head.position}).`,
        },
        retentionEventId,
      );
    }
    if (expectedPrev !== head.hash) {
      return report(
        checked,
        {
          position: head.position.toString(),
          kind: 'head_mismatch',
          message: 'The chain head does not match the last event.',
        },
        retentionEventId,
      );
    }
    if (notAllowed) return report(checked, notAllowed, retentionEventId);
    return report(checked, null, retentionEventId);
  }

  private linkProblem(
    position: bigint,
    expected: bigint,
    id: string,
    prevHash: string,
    expectedPrev: string,
  ): Broken | undefined {
    if (position !== expected) {
      return position < expected
        ? { position: id, kind: 'duplicate', message: `More than one event claims position ${id}.` }
        : {
            position: expected.toString(),
            kind: 'missing',
            message: `The event at position ${expected} is missing.`,
          };
    }
    if (prevHash !== expectedPrev) {
      return {
        position: id,
        kind: 'broken_link',
        message: `The event at position ${id} does not follow the event before it (rows reordered or replaced).`,
      };
    }
    return undefined;
  }

  /**
   * The first retention event that the policy in force when it was written did not allow: one
   * from anyone but the retention job, or one claiming to have dropped a month that was still
   * inside the retention period.
   */
  private async firstRetentionNotAllowed(through: bigint): Promise<Broken | undefined> {
    for (const event of await this.repository.listRetentionEvents()) {
      if (BigInt(event.id) > through) break;
      const droppedTo =
        typeof event.detail?.droppedTo === 'string'
          ? Date.parse(event.detail.droppedTo)
          : Number.NaN;
      const allowedUntil =
        event.retentionDays === null
          ? Number.NaN
          : event.occurredAt.getTime() - event.retentionDays * DAY_MS;
      const dropped = event.detail?.droppedTo !== null && event.detail?.droppedTo !== undefined;
      if (event.actorType !== 'system' || (dropped && !(droppedTo <= allowedUntil))) {
        return {
          position: event.id,
          kind: 'retention_not_allowed',
          message: `The retention event at position ${event.id} claims a drop the retention policy (${event.retentionDays ?? 'none'} days) did not allow.`,
        };
      }
    }
    return undefined;
  }
}

function altered(id: string): Broken {
  return {
    position: id,
    kind: 'altered',
    message: `The content of the event at position ${id} does not match its hash (row altered).`,
  };
}
