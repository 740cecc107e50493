// Lint for what the type checker cannot catch. For now one concern: regular expressions that
// backtrack super-linearly on hostile input (issue 10). Grow it here (typescript-eslint's
// recommended rules, say) rather than in a second config.
import tseslint from 'typescript-eslint';
import regexp from 'eslint-plugin-regexp';

export default tseslint.config(
  // Tests and benchmarks never see client input.
  { ignores: ['**/node_modules/**', '.data/**', 'test/**', 'bench/**', '**/*.test.ts', '**/testing/**'] },
  {
    files: ['**/*.ts', '**/*.mts', '**/*.js', '**/*.mjs'],
    languageOptions: { parser: tseslint.parser, ecmaVersion: 'latest', sourceType: 'module' },
    // Registered so that existing `eslint-disable` comments for its rules resolve.
    plugins: { '@typescript-eslint': tseslint.plugin, regexp },
    linterOptions: { reportUnusedDisableDirectives: 'off' },
    rules: {
      'regexp/no-super-linear-backtracking': 'error',
      'regexp/no-super-linear-move': 'error',
    },
  },
);
