import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'sdk/web/dist/**', 'sdk/node/dist/**', 'sdk/node/src/generated/**', 'node_modules/**', 'src/generated/**', 'coverage/**', '.data/**', 'bench/.build/**', 'eslint.config.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-extraneous-class': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // Plain JavaScript config and jest setup files: linted, but outside the TypeScript project.
    files: ['**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { process: 'readonly', URL: 'readonly', console: 'readonly' },
    },
  },
  {
    // The sample bank app: a Node backend and a browser page, plain JavaScript.
    files: ['examples/**/*.mjs'],
    languageOptions: { globals: { fetch: 'readonly', AbortSignal: 'readonly', TextEncoder: 'readonly' } },
  },
  {
    files: ['examples/**/public/**/*.mjs'],
    languageOptions: { globals: { document: 'readonly', fetch: 'readonly' } },
  },
  {
    // Tests read loosely-typed JSON bodies; asserting on them is the point.
    files: ['test/**/*.ts', 'src/**/*.spec.ts', 'bench/**/*.ts', 'sdk/web/test/**/*.ts', 'sdk/node/test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);
