/**
 * The ASN.1 and curve libraries load on first use: importing the agent
 * (core, API server, every handler) and reading the trust store does not
 * load them; the first certificate parsed does.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CA_EXT, opensslPki } from '../../helpers/openssl-pki.js';

const pki = opensslPki();
const dir = mkdtempSync(join(tmpdir(), 'pki-lazy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const src = (path: string) => pathToFileURL(join(import.meta.dirname, '..', '..', '..', path)).href;

describe('lazy loading', () => {
  it('importing the agent and reading the trust store load no ASN.1 library; parsing a certificate does', () => {
    const root = pki.issue('root', CA_EXT());
    writeFileSync(join(dir, 'root.cer'), root.der);
    writeFileSync(join(dir, 'hook.cjs'), `const M = require('module'); const load = M._load;
M._load = function (request, ...rest) { if (/^(asn1js|pkijs|@noble\\/curves)/.test(request)) process.stdout.write('LOADED ' + request + '\\n'); return load.call(this, request, ...rest); };`);
    writeFileSync(join(dir, 'script.mjs'), `
const { loadTrustStore } = await import(${JSON.stringify(src('src-agent/service/trust-store.ts'))});
await import(${JSON.stringify(src('src-agent/service/agent-core.ts'))});
await import(${JSON.stringify(src('src-agent/api/server.ts'))});
await loadTrustStore([${JSON.stringify(join(dir, 'root.cer'))}], []);
process.stdout.write('STARTED\\n');
const { parseCertificate } = await import(${JSON.stringify(src('src-agent/pki/index.ts'))});
parseCertificate((await import('node:fs')).readFileSync(${JSON.stringify(join(dir, 'root.cer'))}));
process.stdout.write('PARSED\\n');
`);
    const tsx = pathToFileURL(join(createRequire(import.meta.url).resolve('tsx/package.json'), '..', 'dist', 'loader.mjs')).href;
    const out = execFileSync(process.execPath, ['--require', join(dir, 'hook.cjs'), '--import', tsx, join(dir, 'script.mjs')], { encoding: 'utf8' });
    const [atStart, afterParse] = out.split('STARTED\n') as [string, string];
    expect(atStart).not.toContain('LOADED');
    expect(afterParse).toMatch(/LOADED asn1js[\s\S]*PARSED/);
    expect(afterParse).toContain('LOADED pkijs');
  });
});
