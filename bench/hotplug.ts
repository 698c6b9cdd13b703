/**
 * Hot-plug: time from a SoftHSM token appearing (softhsm2-util --init-token
 * returns) to the `tokens.changed` event at a WebSocket client, with the
 * default slot polling (SLOT_POLL_INTERVAL_MS); and the idle CPU the watching
 * costs: CPU time of a spawned `serve` and its token hosts over 10 s idle.
 *
 *   node bin/run-ts.mjs bench/run.ts hotplug [--quick]
 */
import { DEFERRED_START_DELAY_MS } from '../src-agent/limits.js';
import { readFileSync } from 'node:fs';
import { addToken } from '../tests/fixtures/make-fixtures.js';
import { TRUSTED_ORIGINS } from '../tests/reliability/agent.js';
import { RpcClient } from '../tests/reliability/rpc-client.js';
import { spawnServe } from './cold-start.js';
import { childPids } from './memory.js';
import { withFixtures } from './lib/fixtures.js';
import { formatTable, machineInfo, writeResult } from './lib/report.js';
import { summarize } from './lib/stats.js';

const INSERTS = 8;
const IDLE_SECONDS = 10;

/** utime + stime of a process, seconds (Linux /proc; clock ticks of 100 Hz). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export async function run(args: string[]): Promise<void> {
  const inserts = args.includes('--quick') ? 3 : INSERTS;
  const machine = machineInfo();
  const result = await withFixtures(async (fx) => {
    const served = await spawnServe(fx);
    try {
      const client = await RpcClient.open(served.port, TRUSTED_ORIGINS[0]!);
      // Past the deferred start (spare and probe hosts, USB monitoring), so only watching is measured.
      await new Promise((r) => setTimeout(r, DEFERRED_START_DELAY_MS + 1500));
      const pids = [served.child.pid!, ...childPids(served.child.pid!)];
      const before = pids.map(cpuSeconds);
      await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
      const idleCpu = pids.map((p, i) => cpuSeconds(p) - before[i]!).reduce((a, b) => a + b, 0);
      const latencies: number[] = [];
      for (let i = 0; i < inserts; i++) {
        const label = `新令牌${i}`;
        const seen = client.events.length;
        await addToken(fx, label, '24681357');
        const start = process.hrtime.bigint();
        const deadline = Date.now() + 5000;
        while (!client.events.slice(seen).some((e) => JSON.stringify(e.params).includes(label)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
        const event = client.events.slice(seen).find((e) => JSON.stringify(e.params).includes(label));
        latencies.push(event ? Number(event.at - start) / 1e6 : NaN);
      }
      client.close();
      return { latency: summarize(latencies.filter((x) => !Number.isNaN(x))), missed: latencies.filter(Number.isNaN).length, idleCpuPercent: (idleCpu / IDLE_SECONDS) * 100, processes: pids.length };
    } finally {
      await served.stop();
    }
  });
  console.log(formatTable(['what', 'value'], [
    ['insert → tokens.changed p50', `${result.latency.p50Ms.toFixed(0)} ms`],
    ['insert → tokens.changed max', `${result.latency.maxMs.toFixed(0)} ms`],
    ['events missed', String(result.missed)],
    [`idle CPU, ${result.processes} processes, ${IDLE_SECONDS} s`, `${result.idleCpuPercent.toFixed(2)} % of one core`],
  ]));
  console.log(`\nnode ${machine.node}, ${machine.cpus} CPUs; targets: ≤ 1 s, idle CPU small`);
  console.log(`wrote ${await writeResult('hotplug', { benchmark: 'hotplug', machine, ...result })}`);
}
