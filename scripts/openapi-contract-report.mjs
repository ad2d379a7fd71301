#!/usr/bin/env node
// Summarises the contract check of the HTTP tests: which operations of the served OpenAPI
// document (dist/openapi.json, from `npm run lint:openapi`) the suites exercised, with which
// statuses, per contract. Fails when a response did not match the document, when no response of
// a contract was checked, or when a documented operation was never exercised.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const reportDir = process.env.MIG_CONTRACT_REPORT_DIR ?? 'coverage/openapi-contract';
const documentFile = process.argv[2] ?? 'dist/openapi.json';
if (!existsSync(reportDir) || !existsSync(documentFile)) {
  console.error(
    `Missing ${reportDir} (run npm test) or ${documentFile} (run npm run lint:openapi).`,
  );
  process.exit(2);
}

const document = JSON.parse(readFileSync(documentFile, 'utf8'));
const seen = new Map();
const problems = [];
for (const file of readdirSync(reportDir).filter((name) => name.endsWith('.json'))) {
  const report = JSON.parse(readFileSync(join(reportDir, file), 'utf8'));
  problems.push(...report.problems);
  for (const [operation, statuses] of Object.entries(report.responses)) {
    seen.set(operation, new Set([...(seen.get(operation) ?? []), ...statuses]));
  }
}

const contractOf = (path) =>
  path.startsWith('/v1/')
    ? 'Authmatech'
    : path.startsWith('/mobile-identity/')
      ? 'Identity Match'
      : /^\/(sim-swap|device-swap|number-verification)\//.test(path)
        ? 'CAMARA'
        : path.startsWith('/admin/')
          ? 'Admin'
          : 'Other';
const contracts = new Map();
const missing = [];
for (const [path, item] of Object.entries(document.paths)) {
  for (const method of ['get', 'put', 'post', 'delete', 'patch']) {
    const operation = item[method];
    if (!operation) continue;
    const name = `${method.toUpperCase()} ${path}`;
    const documented = Object.keys(operation.responses).map(Number);
    const statuses = [...(seen.get(name) ?? [])].sort((a, b) => a - b);
    const entry = contracts.get(contractOf(path)) ?? {
      operations: 0,
      exercised: 0,
      documented: 0,
      checked: 0,
      lines: [],
    };
    entry.operations += 1;
    entry.documented += documented.length;
    entry.checked += statuses.length;
    if (statuses.length > 0) entry.exercised += 1;
    else missing.push(name);
    entry.lines.push(
      `  ${name.padEnd(62)} ${statuses.join(' ') || '—'}  (documented: ${documented.join(' ')})`,
    );
    contracts.set(contractOf(path), entry);
  }
}

console.log(
  'OpenAPI contract check of the HTTP tests (statuses validated against the served document)',
);
for (const [contract, entry] of contracts) {
  console.log(
    `${contract}: ${entry.exercised}/${entry.operations} operations exercised, ${entry.checked}/${entry.documented} documented statuses seen`,
  );
  for (const line of entry.lines) console.log(line);
}
let failed = false;
if (problems.length > 0) {
  console.error(
    `\n${problems.length} responses did not match the document:\n${[...new Set(problems)].join('\n')}`,
  );
  failed = true;
}
for (const [contract, entry] of contracts) {
  if (entry.checked === 0 && contract !== 'Other') {
    console.error(`\nNo response of the ${contract} contract was checked.`);
    failed = true;
  }
}
if (missing.length > 0) {
  console.error(`\nOperations no HTTP test exercises:\n  ${missing.join('\n  ')}`);
  failed = true;
}
process.exit(failed ? 1 : 0);
