// @ts-check
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

// ESLint: correctness rules (type-aware) and the import boundaries of src/ (README, "Layout"). Formatting is
// Prettier's job (`npm run lint` runs both); none of the rule sets below has formatting rules.

/** Node built-ins that do I/O: none of them in the pure layers. */
const IO_BUILTINS = [
  'fs',
  'fs/promises',
  'http',
  'https',
  'http2',
  'net',
  'tls',
  'dgram',
  'dns',
  'dns/promises',
  'child_process',
  'cluster',
  'worker_threads',
  'readline',
].flatMap((m) => [m, `node:${m}`]);

const CLIENT_NODE = {
  name: '@kubernetes/client-node',
  message:
    'Only src/kube (and the CLI client, src/cli/kube.ts) talk to the Kubernetes API; use their functions and types.',
};

/**
 * Which other parts of src/ each folder may import (by path relative to src/: a folder ends with "/", anything
 * else is one module). Everything not listed is refused, so a new folder starts out unreachable: no upward
 * imports (the kube adapter importing the decision, the decision importing the controller, ...).
 * The composition roots src/main.ts and src/operator.ts may import anything.
 */
const LAYERS = {
  api: [],
  config: [],
  express: ['api/', 'config/schema.js'],
  // The pure decision: wire types, config types and the pure Express field reader only (not config/load.js: I/O).
  bounce: ['api/', 'config/schema.js', 'config/label-selector.js', 'express/view.js'],
  // The Kubernetes adapter: wire types and config, never the domain it serves.
  kube: ['api/', 'config/'],
  // The RollingBounce decision: pure, like bounce/ (its Prometheus gate query is the one module with I/O).
  rollout: ['api/', 'config/schema.js', 'express/view.js', 'bounce/'],
  controller: ['api/', 'config/', 'express/', 'bounce/', 'rollout/', 'kube/'],
  notify: ['api/', 'config/', 'bounce/', 'controller/hooks.js'],
  observability: ['api/', 'config/', 'bounce/', 'controller/hooks.js', 'controller/workqueue.js'],
  // A separate program with its own small client (cli/kube.ts); shares wire types, API error descriptions and the
  // HTTP helpers (request deadlines, shared connections).
  cli: ['api/', 'kube/errors.js', 'kube/http.js'],
};

/** Packages and built-ins each folder must not import (beyond @kubernetes/client-node, refused everywhere but kube). */
const PURE = [...IO_BUILTINS, 'pino', 'prom-client', 'p-retry', 'yaml', 'commander', 'undici'];
const FORBIDDEN_PACKAGES = {
  api: PURE,
  express: PURE,
  bounce: PURE,
};

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** no-restricted-imports options for one folder of src/ (rule options replace each other, so built whole). */
function boundaries(folder, { allowClientNode = false } = {}) {
  const paths = [...(allowClientNode ? [] : [CLIENT_NODE])];
  for (const name of FORBIDDEN_PACKAGES[folder] ?? []) {
    paths.push({ name, message: `src/${folder} is pure: no I/O, no logging, no API client.` });
  }
  const patterns = [];
  if (!allowClientNode) patterns.push({ group: ['@kubernetes/client-node/*'], message: CLIENT_NODE.message });
  const allowed = LAYERS[folder];
  if (allowed) {
    const alternatives = allowed.map((a) => (a.endsWith('/') ? escape(a) : `${escape(a)}$`));
    const lookahead = alternatives.length ? `(?!(?:${alternatives.join('|')}))` : '';
    patterns.push({
      regex: `^\\.\\./${lookahead}`,
      message: `src/${folder} may import from src/ only: ${allowed.length ? allowed.join(', ') : 'nothing outside itself'} (layering: eslint.config.js, README "Layout").`,
    });
  }
  return ['error', { paths, patterns }];
}

export default defineConfig(
  { ignores: ['node_modules/', 'dist/', 'coverage/', 'bench/results/'] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // A switch without `default` must name every member of the union it switches on; a `default` is a
      // deliberate catch-all (e.g. HTTP codes, or reasons the CLI has no special wording for).
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      // `let x; const stop = () => x?.stop(); ... x = ...`: a const there would be read before it is assigned.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true, destructuring: 'all' }],
      // Passing on a caught `unknown` (e.g. an API client's rejection) as it came is fine.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  // Import boundaries of src/. Everywhere in src/ (also a folder not in LAYERS yet): no client-node.
  {
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [CLIENT_NODE], patterns: [{ group: ['@kubernetes/client-node/*'], message: CLIENT_NODE.message }] },
      ],
    },
  },
  ...Object.keys(LAYERS).map((folder) => ({
    files: [`src/${folder}/**/*.ts`],
    rules: { 'no-restricted-imports': boundaries(folder, { allowClientNode: folder === 'kube' }) },
  })),
  { files: ['src/cli/kube.ts'], rules: { 'no-restricted-imports': boundaries('cli', { allowClientNode: true }) } },
  // Tests poke at rendered manifests and arbitrary JSON, so `any` (and using it) is allowed there; fakes implement
  // async interfaces without awaiting, and `expect(fake.method)` passes methods unbound on purpose.
  {
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  // Plain Node scripts (the harness's reaper runs without TypeScript).
  {
    files: ['**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
