// Bundles the agent's command line (src-agent/cli.ts) and the token host
// (src-agent/tokens/host-main.ts) with esbuild into dist/agent/, the build
// `bin/ca-assistant.mjs` runs. Loading one bundle instead of ~150 ES modules
// saves most of the agent's module-loading time at start (docs/performance.md).
// Native addons stay outside the bundle and load from node_modules.
//
//   node scripts/bundle-agent.mjs        (part of `npm run build`; ~1 s)
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
/** Where the bundle goes; bin/dist-fresh.mjs names the same place. */
export const outdir = join(root, 'dist', 'agent');

/** Native addons, and ws's optional native helpers, which it loads only when installed. */
const EXTERNAL = ['pkcs11js', 'usb-detection', 'koffi', 'better-sqlite3', 'bufferutil', 'utf-8-validate'];

/**
 * zod re-exports all of its ~60 locales (340 KB the agent would parse at every
 * start); the agent uses Chinese (config and vendor-table messages) and zod's
 * default English. Only those two go into the bundle.
 */
const zodLocales = {
  name: 'zod-locales',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      args.importer.includes(join('node_modules', 'zod')) ? { path: 'zod-locales', namespace: 'zod-locales', pluginData: args.resolveDir } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: "export { default as en } from '../locales/en.js';\nexport { default as zhCN } from '../locales/zh-CN.js';\n",
      resolveDir: args.pluginData,
    }));
  },
};

rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: { cli: 'src-agent/cli.ts', 'host-main': 'src-agent/tokens/host-main.ts', 'verify-worker': 'src-agent/pki/verify-worker.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  external: EXTERNAL,
  // Chunks sit beside the entries: the token host is forked from the directory of the code that forks it.
  chunkNames: '[name]-[hash]',
  // Bundled CommonJS dependencies (ws) call require(); ES modules have none.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  plugins: [zodLocales],
  logLevel: 'warning',
});
