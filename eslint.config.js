// Lint: TypeScript rules plus the import directions of STYLE.md §1, so the
// layer picture in DESIGN.md stays true.
import tseslint from 'typescript-eslint';

const restrict = (patterns) => ({
  'no-restricted-imports': ['error', { patterns }],
});
// Flat config replaces a rule per file rather than merging it, so every
// src-agent block repeats the core's own ban.
const CORE = [
  { group: ['electron', 'electron/*'], message: 'src-agent runs in plain Node: no Electron here (STYLE §1).' },
  { group: ['**/src-main/**', '**/src-renderer/**', '**/sdk/**', '**/examples/**', '**/tests/**'], message: 'src-agent may import only itself (STYLE §1).' },
];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'out/**', 'release/**', 'sdk/dist/**', 'test-results/**', 'artifacts/**', '**/*.min.js'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // The core never imports Electron, the shell, the pages or the SDK.
    files: ['src-agent/**/*.ts'],
    rules: restrict(CORE),
  },
  {
    files: ['src-agent/tokens/**/*.ts'],
    rules: restrict([
      ...CORE,
      { group: ['**/api/**', '**/check/**', '**/cli*', '**/ui/**', '**/pki/**'], message: 'tokens/ knows no JSON-RPC, checks or PKI (DESIGN layout).' },
    ]),
  },
  {
    files: ['src-agent/pki/**/*.ts'],
    rules: restrict([
      ...CORE,
      { group: ['**/api/**', '**/check/**', '**/cli*', '**/ui/**', '**/tokens/*', '!**/tokens/types.js'], message: 'pki/ uses token types only, never the token layer itself.' },
    ]),
  },
  {
    files: ['src-agent/check/**/*.ts'],
    rules: restrict([
      ...CORE,
      { group: ['**/api/**', '**/cli*', '**/app/**'], message: 'check/ imports service, tokens and pki, not the API or the window controller.' },
    ]),
  },
  {
    // The use cases sit under the API: the API imports service/, never the reverse.
    // Of ui/ only the port (the interface PIN dialogs and notices come through).
    files: ['src-agent/service/**/*.ts'],
    rules: restrict([
      ...CORE,
      { group: ['**/api/**', '**/check/**', '**/cli.js', '**/cli/**', '**/app/**', '**/ui/*', '**/ui/**', '!**/ui/port.js'], message: 'service/ never imports the API, 环境检测, the CLI, the window controller or a UI (only ui/port).' },
    ]),
  },
  {
    // The window transports know the controller's handler type, never the API or the controller itself.
    files: ['src-agent/ui/**/*.ts'],
    rules: restrict([
      ...CORE,
      { group: ['**/api/**', '**/app/**', '**/cli.js', '**/cli/**', '**/check/**'], message: 'ui/ never imports the API or the window controller (src-agent/app hands it its handlers).' },
    ]),
  },
  {
    // The window controller (headless UI and Electron) uses service/ and check/, not the API.
    files: ['src-agent/app/**/*.ts'],
    rules: restrict([
      ...CORE,
      { group: ['**/api/**', '**/cli.js', '**/cli/**'], message: 'app/ reaches the API only through ApiView.' },
    ]),
  },
  {
    files: ['src-agent/api/**/*.ts'],
    rules: restrict([
      ...CORE,
      { group: ['**/cli.js', '**/cli/**', '**/app/**'], message: 'api/ imports service/, not the CLI or the window controller.' },
    ]),
  },
  {
    // The pages know only the bridge type.
    files: ['src-renderer/**/*.{ts,js}'],
    rules: restrict([
      { group: ['electron', 'electron/*', 'node:*'], message: 'Renderer pages never import Electron or Node (STYLE §1, §7).' },
      { regex: '^(?!.*src-agent/ui/bridge).*src-agent/', message: 'src-renderer knows only the bridge type.' },
      { regex: 'src-main', message: 'src-renderer knows only the bridge type.' },
    ]),
  },
  {
    // The SDK imports protocol types only.
    files: ['sdk/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^(?!.*src-agent/protocol/).*src-agent/', message: 'sdk imports only protocol types.' }, { regex: 'src-main|src-renderer', message: 'sdk imports only protocol types.' }] }],
      '@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports' }],
    },
  },
  {
    files: ['examples/**/*.{ts,js}'],
    rules: restrict([{ group: ['**/src-agent/**', '**/src-main/**'], message: 'The reference mall uses only the SDK, like a real mall.' }]),
  },
);
