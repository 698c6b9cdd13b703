import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import pkcs11js from 'pkcs11js';
import { describe, expect, it } from 'vitest';
import { CKF, CKK } from '../../../src-agent/tokens/ck-flags.js';

const ROOT = resolve(import.meta.dirname, '../../..');

describe('token flags', () => {
  it('are the PKCS#11 header values pkcs11js carries', () => {
    const lib = pkcs11js as unknown as Record<string, number>;
    for (const [name, value] of Object.entries(CKF)) expect(value, name).toBe(lib[`CKF_${name}`]);
    for (const [name, value] of Object.entries(CKK)) expect(value, name).toBe(lib[`CKK_${name}`]);
  });

  it('the agent process (server, signing use case, token manager) loads no native PKCS#11 addon', () => {
    const loader = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist', 'loader.mjs')).href;
    const script = `
      const loaded = [];
      const dlopen = process.dlopen;
      process.dlopen = (module, file, ...rest) => { loaded.push(file); return dlopen(module, file, ...rest); };
      await import(${JSON.stringify(pathToFileURL(join(ROOT, 'src-agent/api/server.ts')).href)});
      await import(${JSON.stringify(pathToFileURL(join(ROOT, 'src-agent/service/agent-core.ts')).href)});
      await import(${JSON.stringify(pathToFileURL(join(ROOT, 'src-agent/tokens/module-runtime.ts')).href)});
      console.log(JSON.stringify(loaded));`;
    const out = execFileSync(process.execPath, ['--import', loader, '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
    const loaded = JSON.parse(out.trim().split('\n').at(-1) ?? '[]') as string[];
    expect(loaded.filter((f) => /pkcs11/i.test(f))).toEqual([]);
  });
});
