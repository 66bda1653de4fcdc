// ESLint for the whole monorepo: one flat config at the root, type-aware through typescript-eslint's
// project service (each file is checked with the tsconfig.json nearest to it, as `tsc -p` would).
// Formatting is Prettier's job (`npm run format:check`), so no stylistic rule is enabled here.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  globalIgnores([
    '**/dist/',
    '**/node_modules/',
    '**/.turbo/',
    'coverage/',
    'sandtrap-report/',
    '.sandtrap-cache/',
    // Committed zoos are data (weights, cards), and `tmp/` holds scratch output of scripts.
    'fixtures/zoo-*/',
    'tmp/',
    '.tmp-*/',
  ]),
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // Off: the plugin contract's methods (detect, configure, Subject.predict…) return promises, and
      // implementations that need no await are still `async` on purpose, so that a throw becomes a
      // rejection the harness records as a failed cell instead of a synchronous exception.
      '@typescript-eslint/require-await': 'off',
      // Off: the control characters are the point. The JUnit writer strips the characters XML 1.0
      // forbids, and the terminal reporter and its tests strip ANSI colour escapes (\x1b[…m).
      'no-control-regex': 'off',
      // A leading underscore marks a deliberately unused argument or binding (`(_d, s) => …`,
      // `const { id: _id, ...rest }`), as the code already does throughout.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    files: ['**/*.test.ts', '**/test-fixtures/**/*.ts'],
    rules: {
      // Off in tests only. Tests assert on values typed `any` by design: JSON.parse of CLI output,
      // results.jsonl and scoreboard.json, and the DOM values page.evaluate returns (the packages
      // compile without the DOM lib). expect() is the check there, and a wrong shape fails the test.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // Off in tests only: fakes of the Subject are typed loosely on purpose, to call members that
      // a given access level must not have and check that they are absent.
      '@typescript-eslint/no-explicit-any': 'off',
      // Off in tests only: `expectTypeOf(subject.perturbed)` reads a method's type and never calls it unbound.
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    // Plain JavaScript (the CLI's bin shim, misbehaving fixture detectors, this file) is in no
    // tsconfig, so it gets the untyped rules only.
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: globals.node },
  },
);
