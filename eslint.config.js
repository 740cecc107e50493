// Lint for what the type checker cannot catch: ESLint's and typescript-eslint's recommended rules
// on all code, and regular expressions that backtrack super-linearly on hostile input (issue 10) on
// the code that sees client input. Formatting is Prettier's (prettier.config.js):
// eslint-config-prettier, last, turns off the rules that would argue with it.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import regexp from 'eslint-plugin-regexp';
import prettier from 'eslint-config-prettier/flat';

const CODE = ['**/*.ts', '**/*.mts', '**/*.js', '**/*.mjs', '**/*.cjs'];

export default tseslint.config(
  { ignores: ['**/node_modules/**', '.data/**'] },
  {
    files: CODE,
    extends: [js.configs.recommended, tseslint.configs.recommended],
    languageOptions: { ecmaVersion: 'latest', sourceType: 'module' },
    // Registered for every file so that existing `eslint-disable` comments for its rules resolve.
    plugins: { regexp },
    linterOptions: { reportUnusedDisableDirectives: 'off' },
    rules: {
      // `_name` marks a value left unused on purpose; `{ omitted, ...rest }` drops a property.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // A `let` that closures read before its one assignment (a handle set once start-up finishes).
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  {
    // Tests and benchmarks never see client input.
    files: CODE,
    ignores: ['test/**', 'bench/**', '**/*.test.ts', '**/testing/**'],
    rules: {
      'regexp/no-super-linear-backtracking': 'error',
      'regexp/no-super-linear-move': 'error',
    },
  },
  {
    // Tests, benchmarks and scripts read untyped JSON (HTTP answers, manifests); production has no `any`.
    files: ['test/**', 'bench/**', 'scripts/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  prettier,
);
