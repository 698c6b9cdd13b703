/**
 * Where the time of one `sign.hash` (cms) goes: the agent publishes each step
 * of a request on a diagnostics channel (src-agent/util/request-trace.ts); this
 * benchmark subscribes, signs over the WebSocket as api-latency does (one
 * client in this process, paced 20 ms apart for the per-connection rate limit)
 * and prints the median of each segment. Beside it, the floors of the same
 * machine at the same pacing: a bare `ws` echo in one process, a bare `fork`
 * IPC echo (advanced serialization), the in-process C_Sign and the CMS
 * building with the key operation stubbed. Then the same signatures back to
 * back, rotating over WARM_CONNECTIONS connections so that none exceeds its
 * rate: the fixed cost with the CPU warm. Last, three of the agent's steps
 * alone, back to back and paced: what the same code costs when the CPU is warm
 * and after 20 ms of idle.
 *
 *   node bin/run-ts.mjs bench/run.ts api-breakdown [--quick]
 */
import { fork } from 'node:child_process';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket, WebSocketServer } from 'ws';
import { digestInfo, HASH_ALGORITHMS, signHash } from '../src-agent/pki/index.js';
import { parseFrame } from '../src-agent/protocol/jsonrpc.js';
import { parseParams } from '../src-agent/protocol/methods.js';
import { REQUEST_STEP_CHANNEL } from '../src-agent/util/request-trace.js';
import { certIdOf, fixtureToken, loginAsUser, startAgent, TRUSTED_ORIGINS } from '../tests/reliability/agent.js';
import { RpcClient } from '../tests/reliability/rpc-client.js';
import { p1363ToDer } from './api-latency.js';
import { withFixtures } from './lib/fixtures.js';
import { RawToken } from './lib/raw-pkcs11.js';
import { formatTable, machineInfo, writeResult } from './lib/report.js';
import { summarize } from './lib/stats.js';

const ROUNDS = { RSA: 300, EC: 500 };
const QUICK = { RSA: 60, EC: 100 };
const WARMUP = 30;
const PACE_MS = 20;
/** Connections the back-to-back run rotates over (two per trusted origin): each stays within its rate (50/s, burst 100). */
const WARM_CONNECTIONS = 16;

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Segment name → samples (ms) of every measured round. */
type Segments = Map<string, number[]>;

function add(segments: Segments, name: string, ms: number): void {
  const list = segments.get(name) ?? [];
  list.push(ms);
  segments.set(name, list);
}

/** Runs `one` after a warm-up, `rounds` times, paced; returns its samples. */
async function paced(rounds: number, one: (measured: boolean) => Promise<void>, paceMs = PACE_MS): Promise<number[]> {
  const out: number[] = [];
  for (let i = -WARMUP; i < rounds; i++) {
    const start = performance.now();
    await one(i >= 0);
    if (i >= 0) out.push(performance.now() - start);
    if (paceMs > 0) await pause(paceMs);
  }
  return out;
}

async function wsEchoFloor(rounds: number): Promise<number[]> {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
  server.on('connection', (ws) => ws.on('message', (d) => ws.send(d.toString())));
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as { port: number };
  const client = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
  await new Promise((r) => client.once('open', r));
  const frame = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'sign.hash', params: { certId: 'x'.repeat(29), hash: randomBytes(32).toString('base64'), hashAlgorithm: 'sha256', format: 'cms' } });
  try {
    return await paced(rounds, () => new Promise((resolve) => {
      client.once('message', () => resolve());
      client.send(frame);
    }));
  } finally {
    client.close();
    server.close();
  }
}

async function ipcEchoFloor(rounds: number): Promise<number[]> {
  const dir = await mkdtemp(join(tmpdir(), 'ca-assistant-bench-echo-'));
  const file = join(dir, 'echo.mjs');
  await writeFile(file, 'process.on("message", (m) => process.send(m));\n');
  const child = fork(file, [], { serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const request = { id: 1, request: { op: 'sign', slotId: '00', ckaId: 'ab'.repeat(20), certDer: randomBytes(700), mechanism: 'ECDSA', data: randomBytes(32) } };
  try {
    return await paced(rounds, () => new Promise((resolve) => {
      child.once('message', () => resolve());
      child.send(request);
    }));
  } finally {
    child.kill();
    await rm(dir, { recursive: true, force: true });
  }
}

const SEGMENTS: [from: string, to: string, what: string][] = [
  ['client send', 'frame received', 'client send → agent receives the frame (WebSocket hop, JSON text)'],
  ['frame received', 'params checked', 'frame parse, rate limit, params schema'],
  ['params checked', 'authorized', 'origin / consent check'],
  ['authorized', 'certificate checked', 'handler, certificate lookup, checks before the PIN'],
  ['certificate checked', 'login granted', 'login policy, fair queue'],
  ['login granted', 'sent to token host', 'CMS before the key operation (signed attributes)'],
  ['sent to token host', 'token host answered', 'token host: IPC round trip + C_Sign'],
  ['token host answered', 'signed', 'CMS after the key operation (SignerInfo, SignedData)'],
  ['signed', 'audited', 'audit record written'],
  ['audited', 'reply sent', 'notice, reply JSON, ws.send'],
  ['reply sent', 'client received', 'agent sends → client receives the reply (WebSocket hop)'],
];

export async function run(args: string[]): Promise<void> {
  const quick = args.includes('--quick');
  const machine = machineInfo();
  const result = await withFixtures(async (fx, dataDir) => {
    process.env.SOFTHSM2_CONF = fx.softhsmConf;
    const supplier = fixtureToken(fx, 'supplier');
    const raw = new RawToken(fx.softhsmModule, supplier.label, supplier.userPin);
    const agent = await startAgent(fx, { dataDir, pollIntervalMs: 0 });
    const client = await RpcClient.open(agent.port, TRUSTED_ORIGINS[0]!);
    const warmClients = await Promise.all(Array.from({ length: WARM_CONNECTIONS }, (_, i) => RpcClient.open(agent.port, TRUSTED_ORIGINS[i % TRUSTED_ORIGINS.length]!)));
    const intermediate = await readFile(fx.intermediateCa.replace(/\.pem$/, '.der'));
    let marks: [string, number][] = [];
    const onStep = (message: unknown): void => {
      const { step, at } = message as { step: string; at: number };
      marks.push([step, at]);
    };
    subscribe(REQUEST_STEP_CHANNEL, onStep);
    try {
      await loginAsUser(agent, supplier);
      const out: Record<string, unknown>[] = [];
      for (const alg of ['EC', 'RSA'] as const) {
        const rounds = (quick ? QUICK : ROUNDS)[alg];
        const name = alg === 'RSA' ? 'RSA-2048' : 'P-256';
        const fc = supplier.certs.find((c) => c.keyAlgorithm === alg && c.hasPrivateKey)!;
        const certId = await certIdOf(agent, supplier, alg);
        const segments: Segments = new Map();
        const totals = await paced(rounds, async (measured) => {
          marks = [['client send', performance.now()]];
          const reply = await client.call('sign.hash', { certId, hash: randomBytes(32).toString('base64'), hashAlgorithm: 'sha256', format: 'cms' });
          marks.push(['client received', performance.now()]);
          if (reply.error) throw new Error(`sign.hash failed: ${JSON.stringify(reply.error.data)}`);
          if (!measured) return;
          const at = new Map(marks);
          for (const [from, to] of SEGMENTS) {
            const a = at.get(from);
            const b = at.get(to);
            if (a !== undefined && b !== undefined) add(segments, `${from} → ${to}`, b - a);
          }
        });
        const certDer = await readFile(join(fx.dir, fc.pem.replace(/\.pem$/, '.der')));
        // The two parts of a signature the fixed cost excludes, each measured alone.
        const keyOperation = async (): Promise<void> => {
          const hash = randomBytes(32);
          if (alg === 'RSA') raw.sign(fc.ckaId, 'RSA_PKCS', digestInfo(hash, HASH_ALGORITHMS.sha256));
          else raw.sign(fc.ckaId, 'ECDSA', hash);
        };
        const stubSig = alg === 'RSA' ? randomBytes(256) : p1363ToDer(randomBytes(64));
        const cmsBuilding = async (): Promise<void> => {
          await signHash({ certificate: certDer, chain: [intermediate], hash: randomBytes(32), hashAlgorithm: 'sha256', format: 'cms', sign: async () => stubSig });
        };
        const rawSign = await paced(rounds, keyOperation);
        const cmsOnly = await paced(rounds, cmsBuilding);
        const rows = SEGMENTS.map(([from, to, what]) => {
          const samples = segments.get(`${from} → ${to}`) ?? [];
          return { segment: what, ...(samples.length ? summarize(samples) : { n: 0, p50Ms: NaN, meanMs: NaN }) };
        });
        // Back to back: the same three measures with no pause between calls.
        let next = 0;
        const warmTotals = await paced(rounds, async () => {
          const c = warmClients[next++ % warmClients.length]!;
          const reply = await c.call('sign.hash', { certId, hash: randomBytes(32).toString('base64'), hashAlgorithm: 'sha256', format: 'cms' });
          if (reply.error) throw new Error(`sign.hash failed: ${JSON.stringify(reply.error.data)}`);
        }, 0);
        const warmRaw = await paced(rounds, keyOperation, 0);
        const warmCms = await paced(rounds, cmsBuilding, 0);
        const warm = { total: summarize(warmTotals), rawSign: summarize(warmRaw), cmsBuild: summarize(warmCms) };
        out.push({ alg: name, total: summarize(totals), rawSign: summarize(rawSign), cmsBuild: summarize(cmsOnly), segments: rows, warm });
      }
      const certId = await certIdOf(agent, supplier, 'EC');
      const frame = JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'sign.hash', params: { certId, hash: randomBytes(32).toString('base64'), hashAlgorithm: 'sha256', format: 'cms', document: { name: '政府采购合同.pdf' } } });
      const steps: [string, () => Promise<unknown>][] = [
        ['parseFrame (JSON-RPC frame)', async () => parseFrame(frame)],
        ['parseParams (sign.hash schema)', async () => parseParams('sign.hash', (JSON.parse(frame) as { params: unknown }).params)],
        ['certs.get (certificate lookup)', () => agent.core.certs.get(certId)],
      ];
      const warmCold = [];
      for (const [step, fn] of steps) {
        const rounds = quick ? QUICK.EC : ROUNDS.EC;
        warmCold.push({ step, warm: summarize(await paced(rounds, async () => void (await fn()), 0)), paced: summarize(await paced(rounds, async () => void (await fn()))) });
      }
      return { algs: out, warmCold };
    } finally {
      unsubscribe(REQUEST_STEP_CHANNEL, onStep);
      client.close();
      for (const c of warmClients) c.close();
      raw.close();
      await agent.stop();
    }
  });
  const floorRounds = quick ? QUICK.EC : ROUNDS.EC;
  const wsFloor = summarize(await wsEchoFloor(floorRounds));
  const ipcFloor = summarize(await ipcEchoFloor(floorRounds));
  type P50 = { p50Ms: number };
  for (const r of result.algs as { alg: string; total: P50; rawSign: P50; cmsBuild: P50; segments: { segment: string; n: number; p50Ms: number; meanMs: number }[]; warm: { total: P50; rawSign: P50; cmsBuild: P50 } }[]) {
    const fixed = (m: { total: P50; rawSign: P50; cmsBuild: P50 }): string => (m.total.p50Ms - m.rawSign.p50Ms - m.cmsBuild.p50Ms).toFixed(3);
    console.log(`\n${r.alg}, paced ${PACE_MS} ms: sign.hash total p50 ${r.total.p50Ms.toFixed(3)} ms; in-process C_Sign ${r.rawSign.p50Ms.toFixed(3)} ms; CMS building (key stubbed) ${r.cmsBuild.p50Ms.toFixed(3)} ms; fixed cost ${fixed(r)} ms`);
    console.log(`${r.alg}, back to back over ${WARM_CONNECTIONS} connections: total p50 ${r.warm.total.p50Ms.toFixed(3)} ms; C_Sign ${r.warm.rawSign.p50Ms.toFixed(3)} ms; CMS building ${r.warm.cmsBuild.p50Ms.toFixed(3)} ms; fixed cost ${fixed(r.warm)} ms`);
    console.log(formatTable(['segment', 'n', 'p50 ms', 'mean ms'], r.segments.map((s) => [s.segment, String(s.n), s.p50Ms.toFixed(3), s.meanMs.toFixed(3)])));
  }
  console.log('\nthe same code warm (back to back) and after 20 ms idle:');
  console.log(formatTable(['step', 'warm p50 ms', 'paced p50 ms'], result.warmCold.map((w) => [w.step, w.warm.p50Ms.toFixed(4), w.paced.p50Ms.toFixed(4)])));
  console.log(`\nfloors at the same ${PACE_MS} ms pacing: bare ws echo round trip p50 ${wsFloor.p50Ms.toFixed(3)} ms, bare fork IPC echo round trip p50 ${ipcFloor.p50Ms.toFixed(3)} ms`);
  console.log(`${machine.cpu}, ${machine.cpus} CPUs, node ${machine.node}${quick ? ' (--quick)' : ''}`);
  console.log(`wrote ${await writeResult('api-breakdown', { benchmark: 'api-breakdown', quick, machine, paceMs: PACE_MS, result, floors: { wsEcho: wsFloor, ipcEcho: ipcFloor } })}`);
}

