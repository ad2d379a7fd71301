// Loaded first, and only by `npm run test:pglite-skips` (MIG_COLLECT_ONLY=1, see jest.config.mjs).
// Every test body and hook becomes a no-op, so jest collects the cases, runs nothing, and reports
// as skipped exactly the cases that skip at collection time. Without DATABASE_URL that is every case
// under `describeOnPostgres` / `itOnPostgres` (test/support/test-database.ts) and the browser tests
// (test/console/console-kit.ts `browserTestsCanRun`): the README's "what skips on PGlite" figure.
type Callable = (...args: unknown[]) => unknown;

const noop = (): void => undefined;

for (const hook of ['beforeAll', 'beforeEach', 'afterAll', 'afterEach'] as const) {
  (globalThis as unknown as Record<string, unknown>)[hook] = noop;
}

/** `it` with its body dropped; `.skip`, `.todo` and the rest keep their meaning. */
function withoutBodies(original: jest.It): jest.It {
  const call = (name: string, _body?: unknown, timeout?: number) => {
    original(name, noop, timeout);
  };
  const each =
    (source: Callable) =>
    (...table: unknown[]) =>
    (name: string, _body?: unknown, timeout?: number) =>
      (source(...table) as Callable)(name, noop, timeout);
  return Object.assign(call, original, {
    only: Object.assign(
      (name: string, _body?: unknown, timeout?: number) => {
        original.only(name, noop, timeout);
      },
      { each: each(original.only.each as Callable) },
    ),
    each: each(original.each as Callable),
    concurrent: original.concurrent,
  });
}

globalThis.it = withoutBodies(globalThis.it);
globalThis.test = withoutBodies(globalThis.test);
