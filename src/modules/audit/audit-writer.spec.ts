import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import type { Environment } from '../../common/config/environment.js';
import type { AuditMetrics } from './audit-metrics.js';
import { AuditBatchWriter, AuditDeadlineError } from './audit-writer.js';
import type { AuditRepository } from './audit.repository.js';
import type { PreparedUnit, UnitOutcome } from './unit-of-work.js';

// The group-commit rules of AuditBatchWriter against a hand-made repository (no database): what
// goes into one statement, when it is sent, and how one statement's failure reaches its waiters.

interface Deferred {
  units: PreparedUnit[];
  resolve: (outcomes: UnitOutcome[]) => void;
  reject: (error: unknown) => void;
}

/** A repository whose every `appendUnits` waits until the test settles it. */
function heldRepository() {
  const calls: Deferred[] = [];
  const repository = {
    appendUnits: jest.fn(
      (units: PreparedUnit[]) =>
        new Promise<UnitOutcome[]>((resolve, reject) => {
          calls.push({ units, resolve, reject });
        }),
    ),
    ensurePartitions: jest.fn(() => Promise.resolve(0)),
  };
  return { repository, calls };
}

function unit(name: string, claims: PreparedUnit['claims'] = {}): PreparedUnit {
  return { claims, writes: [], events: { ok: { action: name } as PreparedUnit['events']['ok'] } };
}

const names = (units: PreparedUnit[]) => units.map((u) => u.events.ok.action);

function writer(
  repository: Pick<AuditRepository, 'appendUnits' | 'ensurePartitions'>,
  settings: { windowMs: number; maxEvents: number },
) {
  const environment = {
    AUDIT_BATCH_WINDOW_MS: settings.windowMs,
    AUDIT_BATCH_MAX_EVENTS: settings.maxEvents,
    AUDIT_PARTITIONS_AHEAD_MONTHS: 3,
  } as Environment;
  const metrics = { watchWriter: jest.fn(), batchCommitted: jest.fn() };
  const clock = { now: () => new Date('2026-12-06T12:00:00Z') };
  const instance = new AuditBatchWriter(
    repository as AuditRepository,
    environment,
    clock,
    metrics as unknown as AuditMetrics,
  );
  return { instance, metrics };
}

/** Lets the promise callbacks queued so far run (the writer chains a few). */
const settle = async () => {
  for (let i = 0; i < 5; i += 1) await Promise.resolve();
};

describe('AuditBatchWriter (group commit)', () => {
  // The writer logs the failures these cases provoke; they are expected here.
  beforeAll(() => {
    Logger.overrideLogger(false);
  });
  afterAll(() => {
    Logger.overrideLogger(['log', 'error', 'warn']);
  });
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('waits for the window, then commits the units that arrived in it in one statement, each caller getting its own outcome', async () => {
    const { repository, calls } = heldRepository();
    const { instance } = writer(repository, { windowMs: 10, maxEvents: 100 });
    const a = instance.enqueue(unit('a'));
    const b = instance.enqueue(unit('b'));
    jest.advanceTimersByTime(9);
    expect(repository.appendUnits).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(calls.map((call) => names(call.units))).toEqual([['a', 'b']]);
    calls[0].resolve(['ok', 'jwt_replayed']);
    await expect(a).resolves.toBe('ok');
    await expect(b).resolves.toBe('jwt_replayed');
  });

  it('does not answer a caller before its statement has committed', async () => {
    const { repository, calls } = heldRepository();
    const { instance } = writer(repository, { windowMs: 0, maxEvents: 100 });
    let answered = false;
    const a = instance.enqueue(unit('a')).then((outcome) => {
      answered = true;
      return outcome;
    });
    await settle();
    expect(answered).toBe(false);
    calls[0].resolve(['ok']);
    await expect(a).resolves.toBe('ok');
  });

  it('sends a full batch at once, without waiting for the window', () => {
    const { repository, calls } = heldRepository();
    const { instance } = writer(repository, { windowMs: 60_000, maxEvents: 3 });
    void instance.enqueue(unit('a'));
    void instance.enqueue(unit('b'));
    expect(repository.appendUnits).not.toHaveBeenCalled();
    void instance.enqueue(unit('c'));
    expect(calls.map((call) => names(call.units))).toEqual([['a', 'b', 'c']]);
  });

  it('keeps one statement in flight; units arriving meanwhile form the next batch, sent as soon as it ends, at most the maximum per statement', async () => {
    const { repository, calls } = heldRepository();
    const { instance } = writer(repository, { windowMs: 0, maxEvents: 2 });
    void instance.enqueue(unit('a'));
    for (const name of ['b', 'c', 'd', 'e']) void instance.enqueue(unit(name));
    expect(calls.map((call) => names(call.units))).toEqual([['a']]);
    calls[0].resolve(['ok']);
    await settle();
    expect(calls.map((call) => names(call.units))).toEqual([['a'], ['b', 'c']]);
    calls[1].resolve(['ok', 'ok']);
    await settle();
    expect(calls.map((call) => names(call.units))).toEqual([['a'], ['b', 'c'], ['d', 'e']]);
  });

  it('never puts two units claiming the same key in one statement: the later one waits for the next batch', async () => {
    const { repository, calls } = heldRepository();
    const { instance } = writer(repository, { windowMs: 10, maxEvents: 100 });
    const proof = { jti: '0b7a2c4e-0000-4000-8000-000000000001', clientId: 'cli_a' };
    void instance.enqueue(unit('first', { proof }));
    void instance.enqueue(unit('other'));
    void instance.enqueue(unit('second', { proof }));
    jest.advanceTimersByTime(10);
    expect(calls.map((call) => names(call.units))).toEqual([['first', 'other']]);
    calls[0].resolve(['ok', 'ok']);
    await settle();
    expect(calls.map((call) => names(call.units))).toEqual([['first', 'other'], ['second']]);
  });

  it('rejects every waiter of a batch with the error when the statement fails (the database is unreachable)', async () => {
    const { repository, calls } = heldRepository();
    const { instance, metrics } = writer(repository, { windowMs: 10, maxEvents: 100 });
    const waiters = ['a', 'b', 'c'].map((name) => instance.enqueue(unit(name)));
    jest.advanceTimersByTime(10);
    const down = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    calls[0].reject(down);
    for (const waiter of waiters) await expect(waiter).rejects.toBe(down);
    expect(repository.appendUnits).toHaveBeenCalledTimes(1);
    expect(metrics.batchCommitted).toHaveBeenCalledWith(3, expect.any(Number), false);
  });

  it("writes a batch that failed on one unit's data unit by unit, so only that unit fails", async () => {
    const { repository, calls } = heldRepository();
    const { instance } = writer(repository, { windowMs: 10, maxEvents: 100 });
    const [a, bad, c] = ['a', 'bad', 'c'].map((name) => instance.enqueue(unit(name)));
    jest.advanceTimersByTime(10);
    const broken = Object.assign(new Error('value too long'), { code: '22001' });
    calls[0].reject(broken);
    await settle();
    expect(names(calls[1].units)).toEqual(['a']);
    calls[1].resolve(['ok']);
    await settle();
    expect(names(calls[2].units)).toEqual(['bad']);
    calls[2].reject(broken);
    await settle();
    expect(names(calls[3].units)).toEqual(['c']);
    calls[3].resolve(['ok']);
    await expect(a).resolves.toBe('ok');
    await expect(bad).rejects.toBe(broken);
    await expect(c).resolves.toBe('ok');
  });

  it('creates the missing partition and retries the statement once', async () => {
    const { repository, calls } = heldRepository();
    const { instance } = writer(repository, { windowMs: 0, maxEvents: 100 });
    const a = instance.enqueue(unit('a'));
    calls[0].reject(new Error('no partition of relation "audit_event" found for row'));
    await settle();
    expect(repository.ensurePartitions).toHaveBeenCalledWith(null, 4);
    calls[1].resolve(['ok']);
    await expect(a).resolves.toBe('ok');
    expect(repository.appendUnits).toHaveBeenCalledTimes(2);
  });

  it('refuses, unwritten, a unit whose deadline passed while it waited', async () => {
    const { repository, calls } = heldRepository();
    const { instance } = writer(repository, { windowMs: 10, maxEvents: 100 });
    const late = instance.enqueue(unit('late'), performance.now() + 5);
    const patient = instance.enqueue(unit('patient'), performance.now() + 50);
    jest.advanceTimersByTime(10);
    await expect(late).rejects.toBeInstanceOf(AuditDeadlineError);
    expect(calls.map((call) => names(call.units))).toEqual([['patient']]);
    calls[0].resolve(['ok']);
    await expect(patient).resolves.toBe('ok');
  });

  it('writes what is still queued before the application shuts down', async () => {
    const appended: string[][] = [];
    const repository = {
      appendUnits: jest.fn((units: PreparedUnit[]) => {
        appended.push(names(units));
        return Promise.resolve(units.map((): UnitOutcome => 'ok'));
      }),
      ensurePartitions: jest.fn(() => Promise.resolve(0)),
    };
    const { instance } = writer(repository, { windowMs: 60_000, maxEvents: 100 });
    const a = instance.enqueue(unit('a'));
    await instance.beforeApplicationShutdown();
    expect(appended).toEqual([['a']]);
    await expect(a).resolves.toBe('ok');
  });
});
