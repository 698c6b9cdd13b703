/**
 * Cold start: wall time from spawning `ca-assistant serve` to its "listening"
 * line (the server listens only after the token layer has enumerated every
 * token), minus the time of a bare `node -e 0`. `bin/ca-assistant.mjs` runs the
 * agent's bundle in dist/agent/ when it is newer than the sources
 * (bin/dist-fresh.mjs), otherwise the TypeScript sources through tsx; the table
 * label and the JSON `path` say which one was measured. Bundle first to measure
 * what ships:
 *
 *   node scripts/bundle-agent.mjs        (or npm run build)
 *   node bin/run-ts.mjs bench/run.ts cold-start [--quick]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// @ts-expect-error plain JS helper shared with bin/ca-assistant.mjs
import { distIsFresh } from '../bin/dist-fresh.mjs';
import { agentConfigJson } from '../tests/reliability/agent.js';
import { fixtureEnv, withFixtures, type FixtureManifest } from './lib/fixtures.js';
import { formatTable, machineInfo, writeResult } from './lib/report.js';
import { summarize } from './lib/stats.js';

const RUNS = 10;
const QUICK_RUNS = 3;

/** A running `serve` child with its port and pid; `stop()` sends SIGTERM and waits for it to exit. */
export interface Served { child: ChildProcess; port: number; ms: number; stop(): Promise<void> }

/** How long `stop()` waits after SIGTERM before it sends SIGKILL. */
const STOP_GRACE_MS = 10_000;

/** Which agent `bin/ca-assistant.mjs` runs right now: the bundle or the sources through tsx. */
export function agentPath(): 'bundle (dist/agent/)' | 'tsx (TypeScript sources)' {
  return distIsFresh() ? 'bundle (dist/agent/)' : 'tsx (TypeScript sources)';
}

/** Resolves when `child` has exited, including when it already had before this call. */
function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Spawns `serve --port 0` on the fixtures; resolves when it prints its URL.
 *
 * The child's stdout and stderr are drained for its whole life (a full pipe would
 * block serve), and only this function's own 'exit' listener is removed once serve
 * listens: serve keeps writing after that (the assistant-window lines, "Shutting
 * down…" on SIGTERM), and those writes must not touch the listener `stop()` waits on.
 */
export async function spawnServe(fx: FixtureManifest, extraArgs: string[] = [], dataDir?: string): Promise<Served> {
  const dir = dataDir ?? (await mkdtemp(join(tmpdir(), 'ca-assistant-bench-serve-')));
  const configFile = join(dir, 'config.json');
  await writeFile(configFile, JSON.stringify(agentConfigJson(fx, dir)));
  const start = performance.now();
  const child = spawn(process.execPath, ['bin/ca-assistant.mjs', 'serve', '--config', configFile, '--port', '0', '--no-open', ...extraArgs], {
    env: { ...process.env, ...fixtureEnv(fx), CA_ASSISTANT_TEST: '1' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    let listening = false;
    const onEarlyExit = (code: number | null, signal: NodeJS.Signals | null): void =>
      reject(new Error(`serve exited (${code ?? signal}) before listening:\n${out}${err}`));
    child.once('exit', onEarlyExit);
    child.once('error', reject);
    child.stderr!.on('data', (d: Buffer) => { if (!listening) err += d.toString(); });
    child.stdout!.on('data', (d: Buffer) => {
      if (listening) return; // keep draining; serve's later lines are not ours to parse
      out += d.toString();
      // The whole line, so a chunk boundary inside the port number cannot give a wrong port.
      const port = /ws:\/\/127\.0\.0\.1:(\d+)\//.exec(out)?.[1];
      if (!port) return;
      listening = true;
      const ms = performance.now() - start;
      child.off('exit', onEarlyExit);
      const stop = async (): Promise<void> => {
        const done = exited(child);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        const timer = setTimeout(() => {
          process.stderr.write(`serve (pid ${child.pid}) still running ${STOP_GRACE_MS} ms after SIGTERM; sending SIGKILL\n`);
          child.kill('SIGKILL');
        }, STOP_GRACE_MS);
        timer.unref();
        await done;
        clearTimeout(timer);
        if (!dataDir) await rm(dir, { recursive: true, force: true });
      };
      resolve({ child, port: Number(port), ms, stop });
    });
  });
}

function bareNode(): Promise<number> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', () => resolve(performance.now() - start));
  });
}

export async function run(args: string[]): Promise<void> {
  const runs = args.includes('--quick') ? QUICK_RUNS : RUNS;
  const machine = machineInfo();
  const path = agentPath();
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
    [`serve → listening (${path === 'tsx (TypeScript sources)' ? 'tsx' : 'bundle dist/agent/'})`, String(result.serve.n), result.serve.p50Ms.toFixed(0), result.serve.minMs.toFixed(0), result.serve.maxMs.toFixed(0)],
    ['bare node -e 0', String(result.bare.n), result.bare.p50Ms.toFixed(0), result.bare.minMs.toFixed(0), result.bare.maxMs.toFixed(0)],
    ['cold start (difference)', '', net.toFixed(0), '', ''],
  ]));
  console.log(`\n${result.tokens} SoftHSM tokens, one module; ${machine.cpus} CPUs, node ${machine.node}; target ≤ 400 ms`);
  console.log(`wrote ${await writeResult('cold-start', { benchmark: 'cold-start', path, machine, ...result, coldStartP50Ms: net })}`);
}
