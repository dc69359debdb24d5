/**
 * Lint configuration: typescript-eslint's type-aware rules over every TypeScript file the root tsconfig covers,
 * because the bugs worth a linter here are the ones only types reveal: an un-awaited store write, a promise
 * handed to a callback that ignores it, an `await` on something that is not a promise, an object rendered into a
 * message as "[object Object]". Formatting is Prettier's job (`prettier --check` in `npm run lint`), so no
 * stylistic rules are enabled here.
 */
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

export default defineConfig(
  // Dependencies, build output and local data directories are not source.
  globalIgnores(['**/node_modules/', '**/dist/', '**/data/', 'coverage/', 'scratch/', '.trajectories/']),
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  js.configs.recommended,
  // recommendedTypeChecked rather than strictTypeChecked: the strict set adds ~500 findings here, nearly all on
  // deliberate patterns (`array[0]!` under noUncheckedIndexedAccess, numbers in template literals, `receiver?.`
  // in afterAll hooks that run after a failed beforeAll). The two strict-set rules that catch real mistakes
  // are enabled below on their own.
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Deprecated zod, OpenAI and AI SDK options keep working until the next major, then silently vanish.
      '@typescript-eslint/no-deprecated': 'error',
      // Outcomes are discriminated unions; a switch over one without a default must name every case.
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      // An underscore marks a parameter kept for its position in a callback signature.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // The dashboard runs in the browser; the hooks rules catch the React bugs types cannot (a hook called
    // conditionally, an effect reading a value it does not list and so showing stale data).
    files: ['dashboard/**/*.{ts,tsx}'],
    // The two classic rules only: the React Compiler's rules in the plugin's presets judge style (setState in
    // effects, libraries it cannot memoize) for a compiler this app does not use.
    plugins: { 'react-hooks': reactHooks },
    rules: { 'react-hooks/rules-of-hooks': 'error', 'react-hooks/exhaustive-deps': 'error' },
    languageOptions: { globals: globals.browser },
  },
  {
    // Tests reach into JSON responses and exported records of the code under test through `any`-typed
    // projections (`Record<string, any>`, `JSON.parse(line).messages`); the assertion that follows is the
    // check, and a wrong shape fails the test. In production code these rules stay on.
    files: ['test/**', 'instrumentation/test/**'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      // Fakes of SDK interfaces (model mocks, trajectory sources) implement async methods that have nothing to
      // await; making them sync would change the interface they stand in for.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Plain JavaScript (launchers, the instrumentation build script, CommonJS/ESM fixtures) is outside the
    // tsconfig, so it gets the untyped rules only.
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: globals.node },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
