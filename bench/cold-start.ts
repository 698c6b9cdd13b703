/**
 * Cold start: wall time from spawning `ca-assistant serve` to its "listening"
 * line (the server listens only after the token layer has enumerated every
 * token), minus the time of a bare `node -e 0`. Measured from the TypeScript
 * sources through tsx (`bin/ca-assistant.mjs` without a build), which is the
 * path tests and `npm run demo` use; the compiled build skips tsx's loader.
 *
 *   node bin/run-ts.mjs bench/run.ts cold-start [--quick]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agentConfigJson } from '../tests/reliability/agent.js';
import { fixtureEnv, withFixtures, type FixtureManifest } from './lib/fixtures.js';
import { formatTable, machineInfo, writeResult } from './lib/report.js';
import { summarize } from './lib/stats.js';

const RUNS = 10;
const QUICK_RUNS = 3;

/** A running `serve` child with its port and pid; `stop()` sends SIGTERM and waits. */
export interface Served { child: ChildProcess; port: number; ms: number; stop(): Promise<void> }

/** Spawns `serve --port 0` on the fixtures; resolves when it prints its URL. */
export async function spawnServe(fx: FixtureManifest, extraArgs: string[] = [], dataDir?: string): Promise<Served> {
  const dir = dataDir ?? (await mkdtemp(join(tmpdir(), 'ca-assistant-bench-serve-')));
  const configFile = join(dir, 'config.json');
  await writeFile(configFile, JSON.stringify(agentConfigJson(fx, dir)));
  const start = performance.now();
  const child = spawn(process.execPath, ['bin/ca-assistant.mjs', 'serve', '--config', configFile, '--port', '0', ...extraArgs], {
    env: { ...process.env, ...fixtureEnv(fx), CA_ASSISTANT_TEST: '1' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stderr!.on('data', () => undefined);
    child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${out}`)));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const port = /ws:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1];
      if (!port) return;
      child.removeAllListeners('exit');
      const ms = performance.now() - start;
      resolve({ child, port: Number(port), ms, stop: () => new Promise((r) => { child.once('exit', () => r()); child.kill('SIGTERM'); }) });
    });
  });
}

function bareNode(): Promise<number> {
  const start = performance.now();
  return new Promise((resolve) => spawn(process.execPath, ['-e', '0']).once('exit', () => resolve(performance.now() - start)));
}

export async function run(args: string[]): Promise<void> {
  const runs = args.includes('--quick') ? QUICK_RUNS : RUNS;
  const machine = machineInfo();
  const result = await withFixtures(async (fx) => {
    const serve: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < runs; i++) {
      bare.push(await bareNode());
      const s = await spawnServe(fx);
      serve.push(s.ms);
      await s.stop();
    }
    return { serve: summarize(serve), bare: summarize(bare), tokens: fx.tokens.length };
  });
  const net = result.serve.p50Ms - result.bare.p50Ms;
  console.log(formatTable(['what', 'n', 'p50 ms', 'min ms', 'max ms'], [
    ['serve → listening (tsx)', String(result.serve.n), result.serve.p50Ms.toFixed(0), result.serve.minMs.toFixed(0), result.serve.maxMs.toFixed(0)],
    ['bare node -e 0', String(result.bare.n), result.bare.p50Ms.toFixed(0), result.bare.minMs.toFixed(0), result.bare.maxMs.toFixed(0)],
    ['cold start (difference)', '', net.toFixed(0), '', ''],
  ]));
  console.log(`\n${result.tokens} SoftHSM tokens, one module; ${machine.cpus} CPUs, node ${machine.node}; target ≤ 400 ms`);
  console.log(`wrote ${await writeResult('cold-start', { benchmark: 'cold-start', path: 'tsx (TypeScript sources)', machine, ...result, coldStartP50Ms: net })}`);
}
