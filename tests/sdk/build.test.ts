import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSdk } from '../../sdk/build.js';

let out: { js: string; dts: string };
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ca-sdk-build-'));
  out = await buildSdk(dir);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sdk build', () => {
  it('emits one ES module without imports or Node APIs', () => {
    const js = readFileSync(out.js, 'utf8');
    expect(js).toMatch(/^export \{/m);
    expect(js).not.toMatch(/^\s*import\s/m);
    expect(js).not.toMatch(/\brequire\(|\bBuffer\b|node:/);
    expect(js).not.toContain('zod');
  });

  it('emits one self-contained declaration file a page can compile against', () => {
    const consumer = join(dir, 'consumer.ts');
    writeFileSync(
      consumer,
      [
        "import { connect, isAssistantError, AssistantUnavailableError, type AssistantClient, type TokenSummary, type CheckReport } from './ca-assistant-sdk.js';",
        'export async function demo(): Promise<TokenSummary[]> {',
        "  const client: AssistantClient = await connect({ url: 'ws://127.0.0.1:21518/', retries: 1 });",
        "  client.on('tokensChanged', (tokens) => tokens.map((t) => t.pin.locked));",
        "  const report: CheckReport = await client.runCheck();",
        "  void report.summary.fail;",
        "  try { await client.signHash({ certId: 'c', hash: new Uint8Array(32), hashAlgorithm: 'sm3' }); }",
        "  catch (e) { if (isAssistantError(e) && e.reason === 'PIN_INCORRECT') void e.retriesLeft; if (e instanceof AssistantUnavailableError) void e.remedy; }",
        '  return client.listTokens();',
        '}',
        '',
      ].join('\n'),
    );
    const program = ts.createProgram([consumer], {
      noEmit: true,
      strict: true,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      target: ts.ScriptTarget.ES2022,
      lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
      types: [],
    });
    const messages = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(messages).toEqual([]);
    expect(readFileSync(out.dts, 'utf8')).not.toMatch(/^import\s/m);
  });
});
