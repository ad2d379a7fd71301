/**
 * The gateway's architecture rules (docs/architecture.md draws them). `npm run lint:deps` checks
 * every import under src/, type-only imports included (tsPreCompilationDeps), so a type leaking
 * across a boundary counts as much as a call.
 *
 * A module is a folder src/modules/<name>/. Its public surface, the only files another module may
 * import, is its *.module.ts (for Nest imports), *.service.ts (what it offers), dto/ (the shapes on
 * its API) and *.errors.ts (its error factories and codes). Repositories, controllers, jobs and
 * helpers are internals.
 */

/** The public files of any module, after its folder. */
const MODULE_PUBLIC = [
  '[^/]+\\.module\\.ts$',
  '[^/]+\\.service\\.ts$',
  'dto/',
  '[^/]+\\.errors\\.ts$',
];

/** Further files that are part of one module's public surface, each with why. */
const NAMED_PUBLIC = [
  // The audit event vocabulary: AuditService.record() takes these events, and hashPhoneNumber is
  // the key under which audit rows (and the push and intelligence lookups over them) find a number.
  '^src/modules/audit/audit-event\\.ts$',
  // AuditRecord, the type AuditService's reads return (the console renders it).
  '^src/modules/audit/audit-chain\\.ts$',
  // @BrowserFacing() and the embedding-origin header: the browser access rule that Credentials owns
  // and other modules' browser routes declare.
  '^src/modules/credentials/browser-origin\\.guard\\.ts$',
  // SwapKind, the kinds of swap SimSwap's service answers for (Intelligence scores them).
  '^src/modules/sim-swap/adapters/swap-adapter\\.ts$',
  // The views Credentials' services return (clients, credentials, rotations: the console renders
  // them) and the Actor its writes are recorded under (the console acts for its signed-in user).
  '^src/modules/credentials/credential-views\\.ts$',
  '^src/modules/credentials/credential-audit\\.ts$',
];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'A cycle makes load order matter and hides which piece depends on which (Nest forwardRef is the symptom).',
      from: {},
      // database-connection.ts loads embedded-connection.ts (which extends its base class) with a
      // dynamic import() so PGlite's WebAssembly loads only when embedded: no load-order hazard.
      to: { circular: true, viaOnly: { dependencyTypesNot: ['dynamic-import'] } },
    },
    {
      name: 'module-boundaries',
      severity: 'error',
      comment:
        'A module uses another only through its *.module.ts, *.service.ts, dto/ and *.errors.ts; never its repository, controllers or internals.',
      from: { path: '^src/modules/([^/]+)/' },
      to: {
        path: '^src/modules/[^/]+/',
        pathNot: [
          '^src/modules/$1/',
          ...MODULE_PUBLIC.map((file) => `^src/modules/[^/]+/${file}`),
          ...NAMED_PUBLIC,
        ],
      },
    },
    {
      name: 'common-imports-no-module',
      severity: 'error',
      comment:
        'src/common/ is the shared infrastructure below the modules: it imports neither a module nor the application root.',
      from: { path: '^src/common/' },
      // src/cli/: the CLI and its commands sit above the modules, as the app root does.
      to: {
        path: [
          '^src/modules/',
          '^src/(app\\.module|app\\.factory|gateway|main|cli)\\.ts$',
          '^src/cli/',
        ],
      },
    },
    {
      name: 'repository-stays-in-its-module',
      severity: 'error',
      comment:
        "A repository is used only inside its own module; other modules call that module's service.",
      from: { path: '^src/modules/([^/]+)/' },
      to: { path: '\\.repository\\.ts$', pathNot: '^src/modules/$1/' },
    },
    {
      name: 'repository-not-outside-modules',
      severity: 'error',
      comment:
        "Nothing outside src/modules/ (common/, the app root, the CLI) reaches a module's repository.",
      from: { pathNot: '^src/modules/' },
      to: { path: '^src/modules/.+\\.repository\\.ts$' },
    },
    {
      name: 'prisma-only-in-repositories',
      severity: 'error',
      comment:
        'Only *.repository.ts and src/common/database/ touch Prisma (its client, its generated types and its error classes); services and controllers see domain types.',
      from: {
        path: '^src/',
        pathNot: ['\\.repository\\.ts$', '^src/common/database/', '^src/generated/'],
      },
      to: { path: ['^src/generated/prisma/', '(^|/)node_modules/@prisma/'] },
    },
  ],
  options: {
    // The generated Prisma client is checked as a target (who imports it), not for its own imports.
    doNotFollow: { path: ['node_modules', '^src/generated/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
  },
};
