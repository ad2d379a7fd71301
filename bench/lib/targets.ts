import type { AuditFigures } from '../audit-scale.js';
import { ROUTES, type HotPathFigures } from '../hot-paths.js';
import type { PushFigures } from '../push-delivery.js';
import type { ReferenceFigures } from '../references/references.js';
import type { MachineFacts } from './machine.js';
import { round, type TargetCheck } from './report.js';

interface Settings {
  durationSeconds: number;
  warmupSeconds: number;
  connections: number;
  events: number;
}

export interface Results {
  machine: MachineFacts;
  settings: Settings & { gatewayEnv: Record<string, string> };
  references?: ReferenceFigures;
  hotPaths?: HotPathFigures;
  audit?: AuditFigures;
  push?: PushFigures;
  /** Each hot path's req/s divided by each reference's (same run, same machine). */
  ratios: Record<string, Ratios>;
  targets: TargetCheck[];
  notes: string[];
}

export interface Ratios {
  toPgbench: number;
  toNaivePrisma: number;
  toConstantJson: number;
  toPgbenchIndexed: number;
}

export function ratiosOf(results: Results): Record<string, Ratios> {
  const references = results.references;
  if (!references) return {};
  return Object.fromEntries(
    Object.entries(results.hotPaths?.routes ?? {}).flatMap(([name, figures]) =>
      figures
        ? [
            [
              name,
              {
                toPgbench: round(
                  figures.requestsPerSecond / references.pgbenchInsert.transactionsPerSecond,
                ),
                toNaivePrisma: round(
                  figures.requestsPerSecond / references.naivePrismaInsert.requestsPerSecond,
                ),
                toConstantJson: round(
                  figures.requestsPerSecond / references.constantJson.requestsPerSecond,
                ),
                toPgbenchIndexed: round(
                  figures.requestsPerSecond / references.pgbenchInsertIndexed.transactionsPerSecond,
                ),
              },
            ],
          ]
        : [],
    ),
  );
}

export function targetsOf(results: Results): TargetCheck[] {
  const checks: TargetCheck[] = [];
  for (const [name, figures] of Object.entries(results.hotPaths?.routes ?? {})) {
    if (!figures) continue;
    const ratio = results.ratios[name];
    if (name === ROUTES.shield) {
      // Issue 13's own targets: against the verify path of the same run, and a looser p99.
      const verify = results.hotPaths?.routes[ROUTES.verify];
      if (verify) {
        const share = figures.requestsPerSecond / verify.requestsPerSecond;
        checks.push({
          name: `${name} ÷ verify`,
          target: '≥ 0.5',
          actual: share.toFixed(2),
          met: share >= 0.5,
        });
      }
      checks.push({
        name: `${name} p99`,
        target: '≤ 25 ms',
        actual: `${figures.latencyMs.p99.toFixed(1)} ms`,
        met: figures.latencyMs.p99 <= 25,
      });
      checks.push({
        name: `${name} failures`,
        target: '0',
        actual: String(figures.failures),
        met: figures.failures === 0,
      });
      continue;
    }
    if (ratio) {
      checks.push({
        name: `${name} ÷ (b) pgbench`,
        target: '≥ 0.7',
        actual: ratio.toPgbench.toFixed(2),
        met: ratio.toPgbench >= 0.7,
      });
      checks.push({
        name: `${name} ÷ (c) naive Prisma`,
        target: '≥ 3',
        actual: ratio.toNaivePrisma.toFixed(2),
        met: ratio.toNaivePrisma >= 3,
      });
    }
    checks.push({
      name: `${name} p99`,
      target: '≤ 20 ms',
      actual: `${figures.latencyMs.p99.toFixed(1)} ms`,
      met: figures.latencyMs.p99 <= 20,
    });
    checks.push({
      name: `${name} failures`,
      target: '0',
      actual: String(figures.failures),
      met: figures.failures === 0,
    });
    checks.push({
      name: `${name} gateway peak RSS`,
      target: '≤ 300 MB',
      actual: `${figures.peakRssMb} MB`,
      met: figures.peakRssMb <= 300,
    });
  }
  const backtest = results.hotPaths?.backtest;
  if (backtest) {
    checks.push({
      name: `intelligence backtest of ${backtest.assessments} assessments`,
      target: '≤ 5000 ms, all replayed',
      actual: `${backtest.milliseconds} ms, ${backtest.total} replayed`,
      met: backtest.milliseconds <= 5_000 && backtest.total === backtest.assessments,
    });
  }
  const push = results.push;
  if (push) {
    // Issue 16: every event delivered once (its id unique), fast, and soon after the change.
    checks.push({
      name: `push: events/s to a local sink (${push.events} events)`,
      target: '≥ 1000, ids unique',
      actual: `${push.throughputEventsPerSecond}, ${push.distinctIds} ids`,
      met: push.throughputEventsPerSecond >= 1_000 && push.distinctIds === push.events,
    });
    checks.push({
      name: 'push: change → delivery p99, no backlog',
      target: '≤ 1000 ms',
      actual: `${push.latencyP99Ms.toFixed(1)} ms`,
      met: push.latencyP99Ms <= 1_000,
    });
  }
  const audit = results.audit;
  if (audit) {
    const scale = `${(audit.events / 1e6).toFixed(1)} M events`;
    const add = (
      name: string,
      target: string,
      actual: number | undefined,
      unit: string,
      met: (value: number) => boolean,
    ): void => {
      if (actual === undefined) return;
      checks.push({
        name: `${name} (${scale})`,
        target,
        actual: `${round(actual, 1)} ${unit}`,
        met: met(actual),
      });
    };
    add(
      'audit filtered page p95',
      '≤ 50 ms',
      audit.filteredPage?.p95Ms,
      'ms',
      (value) => value <= 50,
    );
    add(
      'audit phone search p95',
      '≤ 50 ms',
      audit.phoneSearch?.p95Ms,
      'ms',
      (value) => value <= 50,
    );
    add(
      'reports/summary 30 days',
      '≤ 2000 ms',
      audit.summary30Days?.ms,
      'ms',
      (value) => value <= 2000,
    );
    add(
      'export rows/s',
      '≥ 100000',
      audit.export?.rowsPerSecond,
      'rows/s',
      (value) => value >= 100_000,
    );
    // Flat memory: the export's second half peaks no higher (10 % slack) than its first half.
    const exported = audit.export;
    if (exported) {
      checks.push({
        name: `export memory flat (${scale})`,
        target: '2nd-half peak ≤ 1.1 × 1st-half peak',
        actual: `${exported.peakRssSecondHalfMb} vs ${exported.peakRssFirstHalfMb} MB (peak ${exported.peakRssMb})`,
        met: exported.peakRssSecondHalfMb <= exported.peakRssFirstHalfMb * 1.1,
      });
    }
    add(
      'audit:verify events/s',
      '≥ 200000',
      audit.chainVerify?.eventsPerSecond,
      'events/s',
      (value) => value >= 200_000,
    );
  }
  const flood = results.hotPaths?.flood;
  if (flood) {
    checks.push({
      name: `flood: audit rows from one address in ${flood.floodSeconds} s of bad keys`,
      target: '≤ 50',
      actual: String(flood.auditRowsAdded),
      met: flood.auditRowsAdded <= 50,
    });
    checks.push({
      name: 'flood: legitimate client’s req/s kept (other address)',
      target: '≥ 0.9',
      actual: flood.legitimateShare.toFixed(2),
      met: flood.legitimateShare >= 0.9,
    });
  }
  return checks;
}
