import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The gateway and its tests take the strict type-checked set. The bench harness, the console (a
// React app built by vite) and the SDKs keep the recommended one: the SDKs check at run time what
// JavaScript callers pass against types that say it cannot be missing, which strict's
// no-unnecessary-condition reads as dead code.
const strictFiles = ['src/**/*.ts', 'test/**/*.ts'];

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'sdk/web/dist/**',
      'sdk/node/dist/**',
      'sdk/node/src/generated/**',
      'node_modules/**',
      'src/generated/**',
      'coverage/**',
      '.data/**',
      'bench/.build/**',
      'eslint.config.mjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  ...tseslint.configs.strictTypeChecked.map((config) => ({ ...config, files: strictFiles })),
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-extraneous-class': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // A number renders the same everywhere; every other non-string (null, undefined, objects)
      // in a template is a bug or needs an explicit rendering.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
    },
  },
  {
    files: strictFiles,
    rules: {
      // Response DTO classes are OpenAPI schema declarations (@nestjs/swagger reads their
      // decorators); services return plain objects of their shape and Nest serialises them as
      // JSON, so nothing relies on their prototype or constructor.
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
    },
  },
  {
    // Plain JavaScript config and jest setup files: linted, but outside the TypeScript project.
    files: ['**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { process: 'readonly', URL: 'readonly', console: 'readonly' },
    },
  },
  {
    // CommonJS config files (dependency-cruiser reads .dependency-cruiser.cjs with require).
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable' } },
  },
  {
    // The sample bank app: a Node backend and a browser page, plain JavaScript.
    files: ['examples/**/*.mjs'],
    languageOptions: {
      globals: { fetch: 'readonly', AbortSignal: 'readonly', TextEncoder: 'readonly' },
    },
  },
  {
    files: ['examples/**/public/**/*.mjs'],
    languageOptions: { globals: { document: 'readonly', fetch: 'readonly' } },
  },
  {
    // Tests read loosely-typed JSON bodies; asserting on them is the point.
    files: [
      'test/**/*.ts',
      'src/**/*.spec.ts',
      'bench/**/*.ts',
      'sdk/web/test/**/*.ts',
      'sdk/node/test/**/*.ts',
    ],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/unbound-method': 'off',
      // Tests type JSON bodies with `as` and then check what the server really sent (`body?.x`),
      // and tear down in afterAll what a failed beforeAll may never have built (`app?.close()`):
      // the types claim more than a test may assume, so these checks are the point (about 180).
      '@typescript-eslint/no-unnecessary-condition': 'off',
      // `find(...)!` in a test fails the test loudly when the item is missing (about 50).
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Helpers hand back a body typed by the caller (`json<Page>()`): one stated cast per call.
      '@typescript-eslint/no-unnecessary-type-parameters': 'off',
    },
  },
);
