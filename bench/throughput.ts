/**
 * Throughput: signatures/s (sign.hash, cms, P-256 and RSA-2048) with 1, 8 and
 * 32 concurrent WebSocket clients on one token and spread over two tokens,
 * against the raw single-session C_Sign rate measured in the same run.
 * Each client has its own connection; the per-connection rate limit
 * (REQUESTS_PER_SECOND) caps a single client, and BUSY replies are counted.
 *
 *   node bin/run-ts.mjs bench/run.ts throughput [--quick]
 */
import { randomBytes } from 'node:crypto';
import { certIdOf, fixtureToken, loginAsUser, startAgent, TRUSTED_ORIGINS, type Agent } from '../tests/reliability/agent.js';
import { reasonOf, RpcClient } from '../tests/reliability/rpc-client.js';
import { withFixtures } from './lib/fixtures.js';
import { RawToken } from './lib/raw-pkcs11.js';
import { formatTable, machineInfo, writeResult } from './lib/report.js';

const SHA256_DIGEST_INFO_PREFIX = Buffer.from('3031300d060960864801650304020105000420', 'hex');
const CLIENT_COUNTS = [1, 8, 32];
/** Seconds each configuration runs. */
const SECONDS = 6;
const QUICK_SECONDS = 2;

interface Row { alg: string; tokens: number; clients: number; signatures: number; busy: number; perSec: number; ofRaw: number }

async function load(agent: Agent, certIds: string[], clients: number, seconds: number): Promise<{ ok: number; busy: number; perSec: number }> {
  const conns = await Promise.all(Array.from({ length: clients }, (_, i) => RpcClient.open(agent.port, TRUSTED_ORIGINS[i % TRUSTED_ORIGINS.length]!)));
  let ok = 0;
  let busy = 0;
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  await Promise.all(conns.map(async (c, i) => {
    for (let n = 0; performance.now() < end; n++) {
      const reply = await c.call('sign.hash', { certId: certIds[(i + n) % certIds.length], hash: randomBytes(32).toString('base64'), hashAlgorithm: 'sha256', format: 'cms' });
      if (reasonOf(reply) === 'BUSY') { busy++; await new Promise((r) => setTimeout(r, 20)); } else if (reply.error) throw new Error(JSON.stringify(reply.error.data));
      else ok++;
    }
  }));
  const elapsed = (performance.now() - start) / 1000;
  for (const c of conns) c.close();
  return { ok, busy, perSec: ok / elapsed };
}

export async function run(args: string[]): Promise<void> {
  const quick = args.includes('--quick');
  const seconds = quick ? QUICK_SECONDS : SECONDS;
  const machine = machineInfo();
  const rows = await withFixtures(async (fx, dataDir) => {
    process.env.SOFTHSM2_CONF = fx.softhsmConf;
    const supplier = fixtureToken(fx, 'supplier');
    const purchaser = fixtureToken(fx, 'purchaser');
    const agent = await startAgent(fx, { dataDir, pollIntervalMs: 0 });
    const raw = new RawToken(fx.softhsmModule, supplier.label, supplier.userPin);
    const out: Row[] = [];
    try {
      await loginAsUser(agent, supplier);
      await loginAsUser(agent, purchaser);
      for (const alg of ['EC', 'RSA'] as const) {
        const ckaId = supplier.certs.find((c) => c.keyAlgorithm === alg && c.hasPrivateKey)!.ckaId;
        const rawEnd = performance.now() + seconds * 1000;
        let rawCount = 0;
        const rawStart = performance.now();
        while (performance.now() < rawEnd) {
          const hash = randomBytes(32);
          raw.sign(ckaId, alg === 'RSA' ? 'RSA_PKCS' : 'ECDSA', alg === 'RSA' ? Buffer.concat([SHA256_DIGEST_INFO_PREFIX, hash]) : hash);
          rawCount++;
        }
        const rawRate = rawCount / ((performance.now() - rawStart) / 1000);
        const name = alg === 'RSA' ? 'RSA-2048' : 'P-256';
        out.push({ alg: name, tokens: 1, clients: 0, signatures: rawCount, busy: 0, perSec: rawRate, ofRaw: 1 });
        const one = [await certIdOf(agent, supplier, alg)];
        const two = [...one, await certIdOf(agent, purchaser, alg)];
        for (const certIds of [one, two]) {
          for (const clients of CLIENT_COUNTS) {
            const r = await load(agent, certIds, clients, seconds);
            out.push({ alg: name, tokens: certIds.length, clients, signatures: r.ok, busy: r.busy, perSec: r.perSec, ofRaw: r.perSec / rawRate });
          }
        }
      }
    } finally {
      raw.close();
      await agent.stop();
    }
    return out;
  });
  console.log(formatTable(['alg', 'tokens', 'clients', 'signatures', 'BUSY', 'sig/s', 'of raw'],
    rows.map((r) => [r.alg, String(r.tokens), r.clients === 0 ? 'raw' : String(r.clients), String(r.signatures), String(r.busy), r.perSec.toFixed(0), `${(r.ofRaw * 100).toFixed(0)}%`])));
  console.log(`\n${machine.cpu}, ${machine.cpus} CPUs, node ${machine.node}, ${seconds} s per row${quick ? ' (--quick)' : ''}; target ≥ 70% of raw on one token`);
  console.log(`wrote ${await writeResult('throughput', { benchmark: 'throughput', quick, seconds, machine, rows })}`);
}
