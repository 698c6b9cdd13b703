/**
 * Memory: RSS of a spawned `serve` (agent process, and its token hosts) idle
 * after start, and after N signatures (P-256, cms) from 8 clients; growth
 * target ≤ 10 MB for 10,000 signatures. RSS read from /proc (Linux).
 *
 *   node bin/run-ts.mjs bench/run.ts memory [--quick]
 */
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { fixtureToken, TRUSTED_ORIGINS } from '../tests/reliability/agent.js';
import { reasonOf, RpcClient } from '../tests/reliability/rpc-client.js';
import { spawnServe } from './cold-start.js';
import { withFixtures } from './lib/fixtures.js';
import { formatTable, machineInfo, writeResult } from './lib/report.js';

const SIGNATURES = 10_000;
const QUICK_SIGNATURES = 1_000;

/** Resident set size of a process, MiB (Linux /proc). */
export function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(/(\d+)/.exec(line ?? '')?.[1] ?? 0) / 1024;
}

/** Direct children of a process (Linux /proc). */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export async function run(args: string[]): Promise<void> {
  const total = args.includes('--quick') ? QUICK_SIGNATURES : SIGNATURES;
  const machine = machineInfo();
  const result = await withFixtures(async (fx) => {
    const supplier = fixtureToken(fx, 'supplier');
    const served = await spawnServe(fx, ['--scripted-ui-pins', supplier.userPin]);
    const pid = served.child.pid!;
    try {
      await new Promise((r) => setTimeout(r, 2000));
      const idle = rssMiB(pid);
      const idleHosts = childPids(pid).map(rssMiB).reduce((a, b) => a + b, 0);
      const clients = await Promise.all(Array.from({ length: 8 }, () => RpcClient.open(served.port, TRUSTED_ORIGINS[0]!)));
      const certs = (await clients[0]!.call('certs.list', {})).result!.certs as { id: string; fingerprintSha256: string; keyAlgorithm: string }[];
      const ec = supplier.certs.find((c) => c.keyAlgorithm === 'EC')!.fingerprintSha256;
      const certId = certs.find((c) => c.fingerprintSha256 === ec)!.id;
      let done = 0;
      const samples: { signatures: number; rssMiB: number }[] = [];
      await Promise.all(clients.map(async (c) => {
        while (done < total) {
          const reply = await c.call('sign.hash', { certId, hash: randomBytes(32).toString('base64'), hashAlgorithm: 'sha256', format: 'cms' });
          if (reasonOf(reply) === 'BUSY') { await new Promise((r) => setTimeout(r, 20)); continue; }
          if (reply.error) throw new Error(JSON.stringify(reply.error.data));
          if (++done % 1000 === 0) samples.push({ signatures: done, rssMiB: rssMiB(pid) });
        }
      }));
      for (const c of clients) c.close();
      await new Promise((r) => setTimeout(r, 2000));
      const after = rssMiB(pid);
      const afterHosts = childPids(pid).map(rssMiB).reduce((a, b) => a + b, 0);
      return { signatures: done, idleMiB: idle, afterMiB: after, growthMiB: after - idle, idleHostsMiB: idleHosts, afterHostsMiB: afterHosts, samples };
    } finally {
      await served.stop();
    }
  });
  console.log(formatTable(['process', 'idle MiB', `after ${result.signatures} sig MiB`, 'growth MiB'], [
    ['agent (serve)', result.idleMiB.toFixed(1), result.afterMiB.toFixed(1), result.growthMiB.toFixed(1)],
    ['token hosts', result.idleHostsMiB.toFixed(1), result.afterHostsMiB.toFixed(1), (result.afterHostsMiB - result.idleHostsMiB).toFixed(1)],
  ]));
  console.log(`RSS every 1000 signatures: ${result.samples.map((s) => s.rssMiB.toFixed(0)).join(' ')} MiB; target growth ≤ 10 MB`);
  console.log(`wrote ${await writeResult('memory', { benchmark: 'memory', machine, ...result })}`);
}
