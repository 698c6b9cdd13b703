/**
 * API latency: `sign.hash` (cms) through the WebSocket, one client, against the
 * baseline of raw pkcs11js C_Sign plus in-process CMS building (`signHash` from
 * src-agent/pki with the raw sign as callback). Interleaved rounds, rotating
 * order, RSA-2048 and P-256 on token 供应商.
 *
 *   node bin/run-ts.mjs bench/run.ts api-latency [--quick]
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { signHash } from '../src-agent/pki/index.js';
import { certIdOf, fixtureToken, loginAsUser, startAgent, TRUSTED_ORIGINS } from '../tests/reliability/agent.js';
import { RpcClient } from '../tests/reliability/rpc-client.js';
import { withFixtures } from './lib/fixtures.js';
import { RawToken } from './lib/raw-pkcs11.js';
import { formatTable, machineInfo, writeResult } from './lib/report.js';
import { elapsedMs, summarize } from './lib/stats.js';

/** Measured rounds; the WebSocket client is rate-limited to 50 requests/s, so rounds are paced by the slower variant anyway. */
const ROUNDS = { RSA: 300, EC: 500 };
const QUICK = { RSA: 40, EC: 80 };
const WARMUP = 20;

export async function run(args: string[]): Promise<void> {
  const quick = args.includes('--quick');
  const machine = machineInfo();
  const rows = await withFixtures(async (fx, dataDir) => {
    process.env.SOFTHSM2_CONF = fx.softhsmConf;
    const supplier = fixtureToken(fx, 'supplier');
    const raw = new RawToken(fx.softhsmModule, supplier.label, supplier.userPin);
    const agent = await startAgent(fx, { dataDir, pollIntervalMs: 0 });
    const client = await RpcClient.open(agent.port, TRUSTED_ORIGINS[0]!);
    const intermediate = await readFile(fx.intermediateCa.replace(/\.pem$/, '.der'));
    try {
      await loginAsUser(agent, supplier);
      const out = [];
      for (const alg of ['RSA', 'EC'] as const) {
        const fc = supplier.certs.find((c) => c.keyAlgorithm === alg && c.hasPrivateKey)!;
        const certDer = await readFile(join(fx.dir, fc.pem.replace(/\.pem$/, '.der')));
        const certId = await certIdOf(agent, supplier, alg);
        const variants = {
          'raw+cms': async (hash: Buffer) => (await signHash({
            certificate: certDer, chain: [intermediate], hash, hashAlgorithm: 'sha256', format: 'cms',
            sign: async (mech, data) => {
              if (mech === 'RSA_PKCS') return raw.sign(fc.ckaId, 'RSA_PKCS', data);
              const p1363 = raw.sign(fc.ckaId, 'ECDSA', data);
              return p1363ToDer(p1363);
            },
          })).signature,
          websocket: async (hash: Buffer) => {
            const reply = await client.call('sign.hash', { certId, hash: hash.toString('base64'), hashAlgorithm: 'sha256', format: 'cms' });
            if (reply.error) throw new Error(`sign.hash failed: ${JSON.stringify(reply.error.data)}`);
            return Buffer.from(String(reply.result!.signature), 'base64');
          },
        };
        const names = Object.keys(variants) as (keyof typeof variants)[];
        const samples: Record<string, number[]> = { 'raw+cms': [], websocket: [] };
        const rounds = (quick ? QUICK : ROUNDS)[alg];
        for (let round = -WARMUP; round < rounds; round++) {
          const hash = randomBytes(32);
          for (let k = 0; k < names.length; k++) {
            const name = names[(Math.abs(round) + k) % names.length]!;
            const start = process.hrtime.bigint();
            await variants[name](hash);
            if (round >= 0) samples[name]!.push(elapsedMs(start));
          }
          // Stay under the per-connection rate limit (50 requests/s) so no call is refused BUSY.
          await new Promise((r) => setTimeout(r, 20));
        }
        const base = summarize(samples['raw+cms']!);
        for (const name of names) {
          const s = summarize(samples[name]!);
          out.push({ variant: name, alg: alg === 'RSA' ? 'RSA-2048' : 'P-256', ...s, p50Ratio: s.p50Ms / base.p50Ms });
        }
      }
      return out;
    } finally {
      client.close();
      raw.close();
      await agent.stop();
    }
  });
  console.log(formatTable(['variant', 'alg', 'n', 'p50 ms', 'p99 ms', 'mean ms', 'p50 vs raw+cms'],
    rows.map((r) => [r.variant, r.alg, String(r.n), r.p50Ms.toFixed(3), r.p99Ms.toFixed(3), r.meanMs.toFixed(3), `${r.p50Ratio.toFixed(2)}x`])));
  console.log(`\n${machine.cpu}, ${machine.cpus} CPUs, node ${machine.node}${quick ? ' (--quick)' : ''}; target: websocket p50 ≤ 2.0x raw+cms`);
  console.log(`wrote ${await writeResult('api-latency', { benchmark: 'api-latency', quick, machine, rows })}`);
}

/** ECDSA r||s (PKCS#11) to DER, as the token host does. */
export function p1363ToDer(sig: Buffer): Buffer {
  const half = sig.length / 2;
  const int = (b: Buffer): Buffer => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    const v = b.subarray(i);
    return v[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), v]) : v;
  };
  const r = int(sig.subarray(0, half));
  const s = int(sig.subarray(half));
  const body = Buffer.concat([Buffer.from([2, r.length]), r, Buffer.from([2, s.length]), s]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}
