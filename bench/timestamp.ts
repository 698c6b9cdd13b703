/**
 * The cost of a trusted time-stamp: the signing use case (CMS) on the SoftHSM
 * RSA-2048 and P-256 keys without and with `timestamp: true`, against the test
 * TSA on loopback (examples/tsa: `openssl ts -reply`, one process per request),
 * plus the bare TSA round trip for the same request. The assistant's own share
 * of a time-stamp (request, response checks, embedding, the verification against
 * the TSA roots) is `cms+ts − cms − tsa`. A real TSA adds its network round trip
 * instead of the stand-in's process start. Variants run interleaved per round.
 *
 *   node bin/run-ts.mjs bench/run.ts timestamp [--quick]
 */
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { startTsa } from '../examples/tsa/server.js';
import { parseConfig } from '../src-agent/config.js';
import { buildTimestampRequest } from '../src-agent/pki/timestamp/index.js';
import { startCore } from '../src-agent/service/agent-core.js';
import { createSigning } from '../src-agent/service/signing/index.js';
import { ScriptedUi } from '../src-agent/ui/scripted-ui.js';
import { fixtureEnv, withFixtures } from './lib/fixtures.js';
import { formatTable, machineInfo, writeResult } from './lib/report.js';
import { elapsedMs, summarize, type LatencySummary } from './lib/stats.js';

const ROUNDS = 60;
const QUICK_ROUNDS = 15;
const WARMUP_ROUNDS = 5;
const TOKEN_LABEL = '供应商';

interface Row extends LatencySummary { variant: 'cms' | 'cms+ts' | 'tsa'; alg: string }

/** Entry point for bench/run.ts. */
export async function run(args: string[]): Promise<void> {
  const quick = args.includes('--quick');
  const rounds = quick ? QUICK_ROUNDS : ROUNDS;
  const machine = machineInfo();
  const rows = await withFixtures(async (m, dataDir) => {
    const tsa = await startTsa({ dir: join(dataDir, '..', 'tsa') });
    const config = parseConfig(JSON.stringify({
      modules: [m.pinGuardModule], onlyConfiguredModules: true, trustAnchors: [m.rootCa], intermediates: [m.intermediateCa], dataDir,
      timestamp: { url: tsa.url, trustAnchors: [tsa.pki.rootPem] },
    }));
    const core = await startCore(config, { hostEnv: fixtureEnv(m), pollIntervalMs: 0, logToFile: false });
    const token = m.tokens.find((t) => t.label === TOKEN_LABEL)!;
    // One PIN with “不再询问” ticked: the rounds measure signing, not the dialog.
    const signing = createSigning(core, { ui: new ScriptedUi().answerPins({ pin: token.userPin, reuse: true }) });
    try {
      const tokenId = core.tokens.tokens().find((t) => t.label === TOKEN_LABEL)!.id;
      // A trusted mall whose clerk ticked the reuse box once.
      const user = { kind: 'site', origin: 'https://mall.example.gov.cn', trusted: true } as const;
      const entries = await core.certs.list(tokenId);
      const out: Row[] = [];
      for (const keyAlgorithm of ['RSA', 'EC'] as const) {
        const cert = token.certs.find((c) => c.keyAlgorithm === keyAlgorithm && c.hasPrivateKey)!;
        const entry = entries.find((e) => e.token.ckaId === cert.ckaId)!;
        const samples: Record<Row['variant'], number[]> = { cms: [], 'cms+ts': [], tsa: [] };
        for (let i = 0; i < WARMUP_ROUNDS + rounds; i++) {
          const hash = createHash('sha256').update(randomBytes(32)).digest();
          const order: Row['variant'][] = i % 2 ? ['cms', 'cms+ts', 'tsa'] : ['tsa', 'cms+ts', 'cms'];
          for (const variant of order) {
            const start = process.hrtime.bigint();
            if (variant === 'tsa') {
              const req = await buildTimestampRequest(randomBytes(256));
              const res = await fetch(tsa.url, { method: 'POST', headers: { 'content-type': 'application/timestamp-query' }, body: new Uint8Array(req.der) });
              await res.arrayBuffer();
            } else {
              await signing.sign(user, { method: 'sign.hash', certId: entry.token.id, payload: { hash, hashAlgorithm: 'sha256' }, format: 'cms', ...(variant === 'cms+ts' ? { timestamp: true } : {}) });
            }
            if (i >= WARMUP_ROUNDS) samples[variant].push(elapsedMs(start));
          }
        }
        for (const variant of ['cms', 'cms+ts', 'tsa'] as const) out.push({ variant, alg: keyAlgorithm === 'RSA' ? 'RSA-2048' : 'P-256', ...summarize(samples[variant]) });
      }
      return out;
    } finally {
      await signing.close();
      await core.stop();
      await tsa.close();
    }
  });
  console.log(formatTable(['variant', 'alg', 'n', 'p50 ms', 'p99 ms', 'mean ms'], rows.map((r) => [r.variant, r.alg, String(r.n), r.p50Ms.toFixed(2), r.p99Ms.toFixed(2), r.meanMs.toFixed(2)])));
  for (const alg of ['RSA-2048', 'P-256']) {
    const p50 = (v: Row['variant']) => rows.find((r) => r.alg === alg && r.variant === v)!.p50Ms;
    console.log(`${alg}: a time-stamp adds ${(p50('cms+ts') - p50('cms')).toFixed(2)} ms p50, of which the TSA round trip ${p50('tsa').toFixed(2)} ms and the assistant ${(p50('cms+ts') - p50('cms') - p50('tsa')).toFixed(2)} ms`);
  }
  console.log(`\n${machine.cpu}, ${machine.cpus} CPUs, node ${machine.node}, ${machine.date}${quick ? ' (--quick)' : ''}`);
  console.log(`wrote ${await writeResult('timestamp', { benchmark: 'timestamp', quick, rounds, warmupRounds: WARMUP_ROUNDS, machine, rows })}`);
}
