/**
 * 环境检测: full run time of `check.run` over the WebSocket on the SoftHSM
 * fixtures, with the PIN dialogs answered by script at once (so PIN typing is
 * excluded). Repeated runs; the first includes cold caches.
 *
 *   node bin/run-ts.mjs bench/run.ts check [--quick]
 */
import { checkRunner } from '../src-agent/api/check-runner.js';
import { fixtureToken, startAgent, TRUSTED_ORIGINS } from '../tests/reliability/agent.js';
import { RpcClient } from '../tests/reliability/rpc-client.js';
import { withFixtures } from './lib/fixtures.js';
import { formatTable, machineInfo, writeResult } from './lib/report.js';
import { summarize } from './lib/stats.js';

export async function run(args: string[]): Promise<void> {
  const runs = args.includes('--quick') ? 2 : 5;
  const machine = machineInfo();
  const result = await withFixtures(async (fx, dataDir) => {
    const agent = await startAgent(fx, { dataDir, pollIntervalMs: 0, runCheck: checkRunner() });
    const supplier = fixtureToken(fx, 'supplier');
    const client = await RpcClient.open(agent.port, TRUSTED_ORIGINS[0]!);
    const times: number[] = [];
    try {
      for (let i = 0; i < runs; i++) {
        agent.ui.answerPins(...Array.from({ length: 10 }, () => supplier.userPin));
        const start = performance.now();
        const reply = await client.call('check.run', {}, 120_000);
        if (reply.error) throw new Error(JSON.stringify(reply.error.data));
        times.push(performance.now() - start);
      }
    } finally {
      client.close();
      await agent.stop();
    }
    return { runs: summarize(times), first: times[0]! };
  });
  console.log(formatTable(['what', 'ms'], [['first run', result.first.toFixed(0)], ['p50', result.runs.p50Ms.toFixed(0)], ['max', result.runs.maxMs.toFixed(0)]]));
  console.log(`\n${fx6()} node ${machine.node}`);
  console.log(`wrote ${await writeResult('check', { benchmark: 'check', machine, ...result })}`);
}

function fx6(): string {
  return '6 SoftHSM tokens (one module), PIN answered by script;';
}
