/** @typedef {import('jest').Config} Config */

/** @type {[string, Record<string, unknown>]} */
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2023',
    },
    module: { type: 'es6' },
  },
];

// `npm run test:pglite-skips`: collect the cases without running any (test/support/collect-only.setup.ts).
const collectOnly =
  process.env.MIG_COLLECT_ONLY === '1' ? ['<rootDir>/test/support/collect-only.setup.ts'] : [];

/** @type {Config} */
const shared = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': swc,
    // Some dependencies require() ESM-only packages (light-my-request: cookie@2; @fastify/static:
    // content-disposition@2). Jest on Node 20 cannot, so those two are compiled to CommonJS.
    '/node_modules/(cookie|content-disposition)/.+\\.js$': [
      '@swc/jest',
      { module: { type: 'commonjs' } },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!(cookie|content-disposition)/)'],
  testEnvironment: 'node',
};

/** @type {Config} */
const config = {
  // Without DATABASE_URL every e2e app starts an embedded PGlite (seconds of WebAssembly start-up
  // on 2 busy cores); jest's default 5 s would fail set-up hooks, not the behaviour under test.
  testTimeout: 60_000,
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/sdk/web/test/**/*.spec.ts'],
      setupFilesAfterEnv: collectOnly,
    },
    {
      ...shared,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts', '<rootDir>/sdk/node/test/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.mjs',
      // Checks every response of every HTTP test against the served OpenAPI document.
      setupFilesAfterEnv: [...collectOnly, '<rootDir>/test/support/openapi-contract.setup.ts'],
      globalTeardown: '<rootDir>/test/support/global-teardown.mjs',
    },
  ],
};

export default config;
