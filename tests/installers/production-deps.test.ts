/**
 * What the app ships: electron-builder packs the production dependency tree
 * (package-lock.json without dev packages) and rebuilds its native modules.
 * That tree must be exactly what the shipped entry points load: the Electron
 * main process (src-main/main.ts, which starts the agent in-process) and the
 * token host it forks (src-agent/tokens/host-main.ts), plus their own
 * dependencies. Imports are read by esbuild (static and dynamic), and the
 * sources are scanned for `createRequire(…)('pkg')`, the one way the agent
 * loads a native module by name at run time (usb-detection).
 */
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..', '..');
const ENTRIES = ['src-main/main.ts', 'src-agent/tokens/host-main.ts'];
/** Provided by the runtime, not packed: the Electron binary is the app. */
const RUNTIME = new Set(['electron']);
const BUILTIN = new Set(builtinModules);

interface LockEntry {
  dev?: boolean;
  devOptional?: boolean;
  optional?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };

const packageName = (specifier: string): string => (specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!);

/** The bare packages the entry points load, with the files that load them. */
async function loadedPackages(): Promise<Map<string, Set<string>>> {
  const found = new Map<string, Set<string>>();
  const add = (name: string, from: string): void => void (found.get(name) ?? found.set(name, new Set()).get(name)!).add(from);
  const result = await build({
    entryPoints: ENTRIES.map((e) => join(ROOT, e)),
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    outdir: join(ROOT, 'dist-deps-probe'),
    logLevel: 'silent',
    plugins: [{
      name: 'record-packages',
      setup(b) {
        b.onResolve({ filter: /^[^./]/ }, (args) => {
          const name = packageName(args.path.replace(/^node:/, ''));
          if (args.path.startsWith('node:') || BUILTIN.has(name)) return { external: true };
          add(name, args.importer.slice(ROOT.length + 1));
          return { external: true };
        });
      },
    }],
  });
  for (const file of Object.keys(result.metafile.inputs)) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    for (const m of text.matchAll(/createRequire\([^)]*\)\(\s*['"]([^'"]+)['"]\s*\)/g)) add(packageName(m[1]!), file);
    // `const load = createRequire(import.meta.url); … load('pkijs')` (util/asn1-lib.ts loads the ASN.1 libraries that way).
    for (const r of text.matchAll(/(?:const|let)\s+(\w+)\s*=\s*createRequire\(/g)) {
      for (const m of text.matchAll(new RegExp(`\\b${r[1]}\\(\\s*['"]([^'"]+)['"]\\s*\\)`, 'g'))) add(packageName(m[1]!), file);
    }
  }
  return found;
}

/** The lockfile entry a package resolves to from `parent` (node_modules nesting first). */
function resolveInLock(name: string, parent: string): string | undefined {
  let dir = parent;
  for (;;) {
    const key = `${dir ? `${dir}/` : ''}node_modules/${name}`;
    if (lock.packages[key]) return key;
    if (!dir) return undefined;
    const i = dir.lastIndexOf('/node_modules/');
    dir = i >= 0 ? dir.slice(0, i) : '';
  }
}

/** Every lockfile entry reachable from `roots` through dependencies and optional dependencies. */
function closure(roots: Iterable<string>): Set<string> {
  const seen = new Set<string>();
  const stack = [...roots].map((n) => resolveInLock(n, '')).filter((k): k is string => k !== undefined);
  while (stack.length) {
    const key = stack.pop()!;
    if (seen.has(key)) continue;
    seen.add(key);
    const entry = lock.packages[key]!;
    for (const dep of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies })) {
      const next = resolveInLock(dep, key);
      if (next) stack.push(next);
    }
  }
  return seen;
}

describe('the production dependency tree', () => {
  it('holds exactly what the shipped entry points load, and they load nothing else', async () => {
    const loaded = await loadedPackages();
    for (const name of RUNTIME) loaded.delete(name);
    // Everything loaded is a runtime dependency (a dev dependency would be missing from the app).
    const undeclared = [...loaded.keys()].filter((n) => !Object.hasOwn(pkg.dependencies, n)).map((n) => `${n} (from ${[...loaded.get(n)!].join(', ')})`);
    expect(undeclared).toEqual([]);
    // Every runtime dependency is loaded (anything else is shipped and rebuilt for nothing).
    expect(Object.keys(pkg.dependencies).filter((n) => !loaded.has(n))).toEqual([]);
    // The lockfile's production tree is the closure of what is loaded.
    const production = Object.entries(lock.packages).filter(([key, e]) => key !== '' && !e.dev && !key.startsWith('examples/')).map(([key]) => key);
    const needed = closure(loaded.keys());
    expect(production.filter((key) => !needed.has(key))).toEqual([]);
  });

  it('keeps the mall\'s and the tools\' packages out of it', () => {
    for (const name of ['better-sqlite3', 'pdf-lib', '@pdf-lib/fontkit', '@pdf-lib/upng', 'tsx', 'electron', 'electron-builder', 'playwright-core']) {
      expect(Object.hasOwn(pkg.dependencies, name), name).toBe(false);
      expect(lock.packages[`node_modules/${name}`]?.dev, name).toBe(true);
    }
  });
});
