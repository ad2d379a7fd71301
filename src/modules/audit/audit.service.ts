import { Readable } from 'node:stream';
import { Injectable } from '@nestjs/common';
import { ServerSecrets } from '../../common/crypto/server-secrets.js';
import type { AuditRecord } from './audit-chain.js';
import { safeCsv } from './audit-csv.js';
import { toAuditContent, hashPhoneNumber, type AuditEventInput } from './audit-event.js';
import type { AuditCursor, AuditFilter } from './audit-filter.js';
import { AuditBatchWriter } from './audit-writer.js';
import { AuditErrors } from './audit.errors.js';
import {
  AuditRepository,
  type SummaryGroup,
  type SummaryRow,
  type Tx,
} from './audit.repository.js';
import type {
  IdempotencyClaim,
  PreparedUnit,
  UnitClaims,
  UnitOutcome,
  UnitWrite,
} from './unit-of-work.js';
import { Clock } from '../../common/clock/clock.js';
import {
  IdempotencyKeyInUse,
  IdempotencyKeyTaken,
  isLockTimeout,
  type IdempotentRequest,
} from '../../common/http/idempotency.js';
import { MetricsService } from '../../common/metrics/metrics.service.js';

export type { AuditEventInput } from './audit-event.js';
export type { UnitClaims, UnitOutcome, UnitWrite, UnitWriteKind } from './unit-of-work.js';

/** The answer a request sends for an outcome, stored (sealed) with its idempotency key. */
export interface AnswerToStore {
  status: number;
  body: unknown;
}

/** The unit's claim of `request`'s key, with the answer stored for each outcome it can reach. */
export function idempotencyClaimOf(
  request: IdempotentRequest,
  answers: Partial<Record<UnitOutcome, AnswerToStore>>,
  correlationId: string | undefined,
  claimed = false,
): IdempotencyClaim {
  const sealed: IdempotencyClaim['answers'] = {};
  for (const [outcome, answer] of Object.entries(answers) as [
    UnitOutcome,
    AnswerToStore | undefined,
  ][]) {
    if (answer) sealed[outcome] = { status: answer.status, ...request.seal(answer.body) };
  }
  const { scope, key, digest, createdAt, expiresAt } = request;
  return { scope, key, digest, createdAt, expiresAt, claimed, correlationId, answers: sealed };
}

/**
 * A unit of work: claims and writes that commit together with one audit event, the one for the
 * outcome that happens ('ok' when every claim succeeded). Give an event for each outcome the
 * claims can have (`no_credit` for a debit, `proof_spent` for a proof, `jwt_replayed` for a JWT id).
 */
export interface AuditUnit {
  claims?: UnitClaims;
  writes?: UnitWrite[];
  events: Partial<Record<UnitOutcome, AuditEventInput>> & { ok: AuditEventInput };
  /** `performance.now()` by which it must be written, or refused with AuditDeadlineError. */
  deadline?: number;
}

/** Filters as the API takes them: a phone number in clear (hashed here) and a verdict object. */
export type AuditQuery = Omit<AuditFilter, 'phoneHash'> & { phoneNumber?: string };

export interface AuditPage {
  items: AuditRecord[];
  /** Opaque; pass back as `cursor` for the next (older) page. Null on the last page. */
  nextCursor: string | null;
}

export const EXPORT_FIELDS = [
  'id',
  'occurredAt',
  'correlationId',
  'clientId',
  'credentialKind',
  'credentialFingerprint',
  'actorType',
  'actorId',
  'action',
  'contract',
  'serviceType',
  'operatorId',
  'phoneHash',
  'phoneMasked',
  'outcome',
  'verdict',
  'httpStatus',
  'errorCode',
  'latencyMs',
  'sourceIp',
  'userAgent',
  'upstream',
  'detail',
  'prevHash',
  'hash',
] as const satisfies readonly (keyof AuditRecord)[];

const JSON_FIELDS = new Set<string>(['verdict', 'upstream', 'detail']);

function encodeCursor(record: AuditRecord): string {
  return Buffer.from(JSON.stringify([record.occurredAt, record.id])).toString('base64url');
}

function decodeCursor(cursor: string): AuditCursor {
  try {
    const [occurredAt, id] = JSON.parse(
      Buffer.from(cursor, 'base64url').toString('utf8'),
    ) as unknown[];
    if (
      typeof occurredAt === 'string' &&
      !Number.isNaN(Date.parse(occurredAt)) &&
      typeof id === 'string' &&
      /^\d{1,19}$/.test(id)
    ) {
      return { occurredAt, id };
    }
  } catch {
    // fall through: any malformed cursor is the same client error
  }
  throw AuditErrors.invalidCursor();
}

/** The audit trail: recording (the cross-module contract) and reading it back. */
@Injectable()
export class AuditService {
  constructor(
    private readonly repository: AuditRepository,
    private readonly writer: AuditBatchWriter,
    private readonly secrets: ServerSecrets,
    private readonly clock: Clock,
    private readonly metrics: MetricsService,
  ) {}

  /**
   * Resolves once the event is committed. With `tx`, it is written inside that transaction, so a
   * change and its event stand or fall together: call it last, as it takes the chain-head lock,
   * which the transaction then holds until it commits.
   */
  async record(event: AuditEventInput, tx?: Tx): Promise<void> {
    await this.commit({ events: { ok: event } }, tx);
  }

  /**
   * For a module's own transaction: claims `request`'s idempotency key first (a concurrent
   * repeat waits here), or throws IdempotencyKeyTaken, which rolls the transaction back. Store the
   * answer with `recordAnswered` as the transaction's last statement.
   */
  async claimIdempotency(request: IdempotentRequest, tx: Tx): Promise<void> {
    let claimed: boolean;
    try {
      claimed = await this.repository.claimIdempotency(request, tx);
    } catch (error) {
      // Only this statement's lock wait means "the first request is still running".
      throw isLockTimeout(error) ? new IdempotencyKeyInUse() : error;
    }
    if (!claimed) throw new IdempotencyKeyTaken();
  }

  /** `record`, storing the request's answer with the key claimed earlier in `tx` (`claimIdempotency`). */
  async recordAnswered(
    event: AuditEventInput,
    tx: Tx,
    request: IdempotentRequest | undefined,
    answer: AnswerToStore,
  ): Promise<void> {
    const idempotency =
      request && idempotencyClaimOf(request, { ok: answer }, event.correlationId, true);
    await this.commit({ events: { ok: event }, claims: idempotency && { idempotency } }, tx);
  }

  /**
   * Commits a unit of work and resolves with its outcome once committed; rejects when nothing of
   * it was committed. Without `tx` it joins the group commit of concurrent units (one statement
   * for all of them); with `tx` it runs inside that transaction (call it last).
   */
  async commit(unit: AuditUnit, tx?: Tx): Promise<UnitOutcome> {
    const prepared = this.prepare(unit);
    // Inside `tx` the event is counted once its statement ran: only a failed COMMIT could undo it.
    const outcome = tx
      ? (await this.repository.appendUnits([prepared], this.clock.now(), tx))[0]
      : await this.writer.enqueue(prepared, unit.deadline);
    const event = unit.events[outcome] ?? unit.events.ok;
    this.metrics.countEvent(event.contract, event.action, event.outcome, event.verdict);
    return outcome;
  }

  private prepare(unit: AuditUnit): PreparedUnit {
    const pepper = this.secrets.phoneHashPepper;
    const phoneHashes = new Map<string, string>();
    const events = Object.fromEntries(
      Object.entries(unit.events).map(([outcome, event]) => [
        outcome,
        toAuditContent(event, pepper, phoneHashes),
      ]),
    ) as PreparedUnit['events'];
    return { claims: unit.claims ?? {}, writes: unit.writes ?? [], events };
  }

  toFilter(query: AuditQuery): AuditFilter {
    const { phoneNumber, ...rest } = query;
    if (rest.from && rest.to && rest.from >= rest.to) throw AuditErrors.invalidRange();
    return {
      ...rest,
      ...(phoneNumber
        ? { phoneHash: hashPhoneNumber(this.secrets.phoneHashPepper, phoneNumber) }
        : {}),
    };
  }

  /** Newest first, keyset-paginated on (occurredAt, id). */
  async list(query: AuditQuery, limit: number, cursor?: string): Promise<AuditPage> {
    const filter = this.toFilter(query);
    const items = await this.repository.findPage(
      filter,
      cursor ? decodeCursor(cursor) : undefined,
      limit + 1,
    );
    const page = items.slice(0, limit);
    return {
      items: page,
      nextCursor: items.length > limit ? encodeCursor(page[page.length - 1]) : null,
    };
  }

  /** How many events the query matches (the CLI export's progress total). */
  count(query: AuditQuery): Promise<number> {
    return this.repository.countFiltered(this.toFilter(query));
  }

  async get(id: string): Promise<AuditRecord> {
    const record = /^\d{1,18}$/.test(id) ? await this.repository.findById(id) : undefined;
    if (!record) throw AuditErrors.eventNotFound();
    return record;
  }

  summary(query: AuditQuery, groupBy: SummaryGroup): Promise<SummaryRow[]> {
    return this.repository.summary(this.toFilter(query), groupBy);
  }

  /** Per day and action, for a client's usage page. */
  usageByDayAndAction(query: AuditQuery): Promise<(SummaryRow & { action?: string })[]> {
    return this.repository.summary(this.toFilter(query), 'day_action');
  }

  /**
   * The filtered events as CSV (header row) or NDJSON (a schema line first), newest first. Rows
   * are read in pages on a dedicated connection only as fast as the client consumes the stream
   * (Readable.from pulls lazily), so memory stays flat whatever the number of rows.
   */
  export(
    query: AuditQuery,
    format: 'csv' | 'ndjson',
    exportedAt: Date,
    onRows?: (exported: number) => void,
  ): Readable {
    const filter = this.toFilter(query);
    const pages = this.repository.streamFiltered(filter);
    let exported = 0;
    async function* lines(): AsyncGenerator<string> {
      if (format === 'csv') {
        yield safeCsv(EXPORT_FIELDS, [EXPORT_FIELDS]);
      } else {
        yield `${JSON.stringify({ schema: 'mobile-identity-gateway.audit-event/v1', fields: EXPORT_FIELDS, exportedAt: exportedAt.toISOString(), order: 'occurredAt desc, id desc' })}\n`;
      }
      for await (const page of pages) {
        if (format === 'csv') {
          const rows = page.map((record) =>
            EXPORT_FIELDS.map((field) => {
              const value = record[field];
              if (value === null || value === undefined) return '';
              return JSON_FIELDS.has(field) ? JSON.stringify(value) : value;
            }),
          );
          yield safeCsv(EXPORT_FIELDS, rows);
        } else {
          yield page.map((record) => `${JSON.stringify(record)}\n`).join('');
        }
        exported += page.length;
        onRows?.(exported);
      }
    }
    return Readable.from(lines(), { objectMode: false });
  }
}
