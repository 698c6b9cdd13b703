/**
 * Fuzzing: ≥ 100,000 generated frames (tests/fuzz/generator.ts, fixed seed)
 * straight into the dispatcher, and a sample over the real socket. Every frame
 * gets one well-formed JSON-RPC reply (or, on the socket, a close); the agent
 * stays up and its memory stays bounded. A failure names the frame.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src-agent/service/signing/audit-log.js';
import { ConsentStore } from '../../src-agent/service/consent-store.js';
import { ConsentGate } from '../../src-agent/api/consent-gate.js';
import { Dispatcher } from '../../src-agent/api/dispatcher.js';
import { LoginPolicy } from '../../src-agent/service/signing/login-policy.js';
import { SigningUseCase } from '../../src-agent/service/signing/use-case.js';
import { classifyOrigin } from '../../src-agent/api/origin-policy.js';
import { Session } from '../../src-agent/api/session.js';
import { useFixtures } from '../helpers/fixtures.js';
import { certIdOf, fixtureToken, startAgent, TRUSTED_ORIGINS, type Agent } from '../reliability/agent.js';
import { CORPUS } from './corpus.js';
import { describeFrame, frameAt, FUZZ_SEED, type FuzzFrame } from './generator.js';

const FRAMES = Number(process.env.CA_FUZZ_FRAMES ?? 100_000);
const SOCKET_FRAMES = 2_000;
const ORIGINS = [TRUSTED_ORIGINS[0]!, 'https://shop.example.com', 'null', 'http://evil.example'];

const fx = await useFixtures();
let agent: Agent;
let certId: string;

beforeAll(async () => {
  agent = await startAgent(fx, { pollIntervalMs: 0 });
  certId = await certIdOf(agent, fixtureToken(fx, 'supplier'), 'EC');
});
afterAll(async () => agent?.stop());

/** Throws, naming the frame, unless `reply` is one JSON-RPC 2.0 response. */
function checkReply(frame: FuzzFrame, reply: string): void {
  let parsed: { jsonrpc?: unknown; id?: unknown; result?: unknown; error?: { code?: unknown; data?: { reason?: unknown } } };
  try {
    parsed = JSON.parse(reply) as typeof parsed;
  } catch {
    throw new Error(`reply is not JSON for ${describeFrame(frame, FUZZ_SEED)}: ${reply.slice(0, 200)}`);
  }
  const ok = parsed.jsonrpc === '2.0' && 'id' in parsed && (parsed.result !== undefined) !== (parsed.error !== undefined)
    && (parsed.error === undefined || (typeof parsed.error.code === 'number' && typeof parsed.error.data?.reason === 'string'));
  if (!ok) throw new Error(`malformed reply for ${describeFrame(frame, FUZZ_SEED)}: ${reply.slice(0, 200)}`);
  if (parsed.error?.data?.reason === 'INTERNAL') throw new Error(`INTERNAL for ${describeFrame(frame, FUZZ_SEED)}`);
}

describe('fuzzing', () => {
  it(`dispatcher: ${FRAMES} generated frames (seed ${FUZZ_SEED}) plus the corpus, each answered, memory bounded`, { timeout: 85_000 }, async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'ca-assistant-fuzz-'));
    const { core, ui } = agent;
    const policy = new LoginPolicy({ tokens: core.tokens, certs: core.certs, ui, pinReuseMinutes: 10 });
    const signing = new SigningUseCase({ certs: core.certs, signing: core.signing, policy, audit: new AuditLog(dataDir), ui });
    const rpc = new Dispatcher({ core, ui, signing, consents: new ConsentStore(dataDir), consentGate: new ConsentGate(), lang: 'zh-CN' });
    const frames: FuzzFrame[] = CORPUS.map((text, index) => ({ index: -1 - index, kind: 'corpus', text }));
    const kinds = new Map<string, number>();
    let session: Session | undefined;
    let rssStart = 0;
    const started = Date.now();
    for (let i = -frames.length; i < FRAMES; i++) {
      const frame = i < 0 ? frames[-1 - i]! : frameAt(FUZZ_SEED, i, certId);
      // A fresh connection every 50 frames, so the rate limit does not answer everything with BUSY.
      if (i % 50 === 0 || !session) {
        session?.close();
        const origin = ORIGINS[Math.abs(i) % ORIGINS.length]!;
        session = new Session(origin, classifyOrigin(origin, agent.core.config.trustedOrigins));
      }
      checkReply(frame, await rpc.dispatch(session, frame.text));
      kinds.set(frame.kind, (kinds.get(frame.kind) ?? 0) + 1);
      if (i === 5_000) rssStart = process.memoryUsage().rss;
    }
    policy.stop();
    const growthMb = (process.memoryUsage().rss - rssStart) / 2 ** 20;
    console.log(`[fuzz] ${FRAMES + frames.length} frames in ${((Date.now() - started) / 1000).toFixed(1)} s, kinds ${JSON.stringify(Object.fromEntries(kinds))}, RSS growth after warm-up ${growthMb.toFixed(1)} MiB`);
    expect(growthMb).toBeLessThan(100);
  });

  it(`socket: ${SOCKET_FRAMES} frames over the WebSocket, each answered or closed, agent still up`, { timeout: 60_000 }, async () => {
    let ws: WebSocket | undefined;
    let answered = 0;
    let closes = 0;
    const open = (): Promise<WebSocket> => new Promise((resolve, reject) => {
      const s = new WebSocket(`ws://127.0.0.1:${agent.port}/`, { origin: TRUSTED_ORIGINS[1]! });
      s.once('open', () => resolve(s));
      s.once('error', reject);
    });
    for (let i = 0; i < SOCKET_FRAMES; i++) {
      const frame = frameAt(FUZZ_SEED + 1, i, certId);
      ws ??= await open();
      const current = ws;
      const outcome = await new Promise<string>((resolve) => {
        const timer = setTimeout(() => resolve('timeout'), 10_000);
        // Notifications (request.progress while a PIN dialog waits, tokens.changed) are not the reply.
        current.on('message', (data) => {
          const text = data.toString();
          if (/^\{"jsonrpc":"2\.0","method":/.test(text)) return;
          clearTimeout(timer);
          resolve(text);
        });
        current.once('close', () => { clearTimeout(timer); resolve('closed'); });
        current.send(frame.text);
      });
      current.removeAllListeners('message');
      current.removeAllListeners('close');
      if (outcome === 'timeout') throw new Error(`no answer and no close for ${describeFrame(frame, FUZZ_SEED + 1)}`);
      if (outcome === 'closed') { closes++; ws = undefined; continue; }
      checkReply(frame, outcome);
      answered++;
      if (i % 80 === 79) { current.close(); ws = undefined; } // stay under the per-connection rate limit
    }
    ws?.close();
    const after = await open();
    const hello = await new Promise<string>((resolve) => {
      after.once('message', (d) => resolve(d.toString()));
      after.send('{"jsonrpc":"2.0","id":1,"method":"system.hello"}');
    });
    after.close();
    console.log(`[fuzz-socket] ${SOCKET_FRAMES} frames: ${answered} answered, ${closes} closed the connection`);
    expect(JSON.parse(hello).result.product).toBe('ca-assistant');
  });
});
