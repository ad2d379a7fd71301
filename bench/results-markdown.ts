/**
 * `node bench/.build/results-markdown.js [bench/results.json] [--rescore]`: the results as the
 * markdown tables pasted into bench/README.md ("Last results"), so the README never disagrees
 * with the run. `--rescore` first re-derives ratios and target verdicts from the measured figures.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { HttpFigures } from './lib/scenario.js';
import { ratiosOf, targetsOf, type Results } from './lib/targets.js';

const file =
  process.argv.find((arg, index) => index > 1 && !arg.startsWith('--')) ?? 'bench/results.json';
const results = JSON.parse(readFileSync(file, 'utf8')) as Results;
if (process.argv.includes('--rescore')) {
  // Re-derives ratios and target verdicts from the measured figures (after a change of a check).
  results.ratios = ratiosOf(results);
  results.targets = targetsOf(results);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
}
const out: string[] = [];
const row = (cells: (string | number)[]): string => `| ${cells.join(' | ')} |`;
const http = (name: string, figures: HttpFigures): string =>
  row([
    name,
    figures.requestsPerSecond,
    figures.latencyMs.p50.toFixed(1),
    figures.latencyMs.p99.toFixed(1),
    figures.failures,
    figures.peakRssMb,
  ]);

const machine = results.machine;
out.push(
  `Run of ${machine.date}: ${machine.cpuCount} × ${machine.cpuModel}, ${machine.totalMemoryMb} MB, Node ${machine.node}, ${machine.postgres.split(' on ')[0]}; ${results.settings.connections} connections, ${results.settings.durationSeconds} s measured after ${results.settings.warmupSeconds} s warm-up; ${results.settings.events} audit events.`,
  '',
);
out.push(
  row(['scenario', 'req/s', 'p50 ms', 'p99 ms', 'failures', 'peak RSS MB']),
  row(['---', '---:', '---:', '---:', '---:', '---:']),
);
const references = results.references;
if (references) {
  out.push(http('(a) NestJS + Fastify, constant JSON', references.constantJson));
  for (const [name, pgbench] of [
    ['(b) pgbench, 1 INSERT/tx, 10 clients', references.pgbenchInsert],
    ["(b') same, with audit_event's 8 indexes", references.pgbenchInsertIndexed],
  ] as const) {
    out.push(
      row([
        name,
        Math.round(pgbench.transactionsPerSecond),
        pgbench.latencyMs.p50.toFixed(1),
        pgbench.latencyMs.p99.toFixed(1),
        pgbench.failed,
        '-',
      ]),
    );
  }
  out.push(http('(c) naive: NestJS + Prisma, 1 INSERT/request', references.naivePrismaInsert));
}
for (const [name, figures] of Object.entries(results.hotPaths?.routes ?? {}))
  if (figures) out.push(http(`**${name}**`, figures));
for (const [name, figures] of Object.entries(results.hotPaths?.preparation ?? {}))
  out.push(http(`(info) ${name}`, figures));
if (Object.keys(results.ratios).length > 0) {
  out.push(
    '',
    row(['route', '÷ (b) pgbench', '÷ (c) naive', '÷ (a) HTTP', "÷ (b') indexed"]),
    row(['---', '---:', '---:', '---:', '---:']),
  );
  for (const [name, ratio] of Object.entries(results.ratios)) {
    out.push(
      row([
        name,
        ratio.toPgbench.toFixed(2),
        ratio.toNaivePrisma.toFixed(2),
        ratio.toConstantJson.toFixed(2),
        ratio.toPgbenchIndexed.toFixed(2),
      ]),
    );
  }
}
if (results.audit) {
  out.push('', row(['audit at scale', 'measured']), row(['---', '---']));
  for (const [name, value] of Object.entries(results.audit.display)) out.push(row([name, value]));
}
out.push('', row(['target', 'wanted', 'measured', 'met']), row(['---', '---', '---', '---']));
for (const check of results.targets)
  out.push(row([check.name, check.target, check.actual, check.met ? 'yes' : '**no**']));
for (const note of results.notes) out.push('', `Note: ${note}`);
process.stdout.write(`${out.join('\n')}\n`);
