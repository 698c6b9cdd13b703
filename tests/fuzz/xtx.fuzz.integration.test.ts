/**
 * Fuzzing the compatibility endpoint's dispatcher: seeded frames of the
 * incumbent clients' shape with wrong names, wrong types and counts of param,
 * odd call ids and plain garbage. Every frame gets either no answer (nothing
 * to answer to) or one `{call_cmd_id, retVal}` with a string retVal, and no
 * frame ends in an internal error. A failure names the frame's index and seed.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SOR } from '../../src-agent/api/compat/gmt0020.js';
import { XtxDispatcher } from '../../src-agent/api/compat/xtx-dispatcher.js';
import { XTX_FUNCTIONS } from '../../src-agent/api/compat/xtx-functions.js';
import type { XtxState } from '../../src-agent/api/compat/xtx-types.js';
import { classifyOrigin } from '../../src-agent/api/origin-policy.js';
import { Session } from '../../src-agent/api/session.js';
import { ConsentStore } from '../../src-agent/service/consent-store.js';
import { ConsentGate } from '../../src-agent/api/consent-gate.js';
import { AuditLog } from '../../src-agent/service/signing/audit-log.js';
import { LoginPolicy } from '../../src-agent/service/signing/login-policy.js';
import { SigningUseCase } from '../../src-agent/service/signing/use-case.js';
import { useFixtures } from '../helpers/fixtures.js';
import { certIdOf, fixtureToken, startAgent, TRUSTED_ORIGINS, type Agent } from '../reliability/agent.js';
import { SeededRandom } from '../reliability/seeded-random.js';

const SEED = 20261201;
const FRAMES = Number(process.env.CA_FUZZ_FRAMES ?? 20_000);
const fx = await useFixtures();
let agent: Agent;
let certId = '';

beforeAll(async () => {
  agent = await startAgent(fx, { pollIntervalMs: 0 });
  certId = await certIdOf(agent, fixtureToken(fx, 'supplier'), 'EC');
});
afterAll(async () => agent?.stop());

function value(r: SeededRandom, depth = 0): unknown {
  switch (r.int(0, 11)) {
    case 0: return certId;
    case 1: return r.int(-5, 0x40);
    case 2: return String(r.int(0, 0x40));
    case 3: return r.bytes(r.int(0, 40)).toString('base64');
    case 4: return r.bytes(r.int(0, 20)).toString('latin1');
    case 5: return null;
    case 6: return r.next() < 0.5;
    case 7: return depth < 3 ? [value(r, depth + 1)] : [];
    case 8: return depth < 3 ? { certId, nested: value(r, depth + 1) } : {};
    case 9: return 'x'.repeat(r.int(0, 5000));
    case 10: return '1.2.156.10260.4.1.' + r.int(0, 9);
    default: return '\u0000\ud800合同\u202e';
  }
}

function frameAt(i: number): string {
  const r = new SeededRandom(SEED + i);
  const names = [...Object.keys(XTX_FUNCTIONS), '__proto__', 'constructor', 'SOF_NoSuch', '', 'sof_getversion'];
  if (r.next() < 0.08) return r.bytes(r.int(0, 64)).toString('latin1');
  const frame: Record<string, unknown> = {
    xtx_func_name: r.next() < 0.9 ? r.pick(names) : value(r),
    call_cmd_id: r.next() < 0.85 ? `i_${i}` : value(r),
    URL: 'https://page.example/', cookie: 'SESSION=fuzz',
  };
  if (r.next() < 0.9) frame.param = r.next() < 0.9 ? Array.from({ length: r.int(0, 5) }, () => value(r)) : value(r);
  const text = JSON.stringify(frame);
  return r.next() < 0.05 ? text.slice(0, r.int(0, text.length)) : text;
}

describe('fuzzing the /xtxapp/ dispatcher', () => {
  it(`${FRAMES} seeded frames (seed ${SEED}): no throw, no internal error, a string retVal or no answer`, { timeout: 120_000 }, async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'ca-assistant-xtx-fuzz-'));
    const { core, ui } = agent;
    const policy = new LoginPolicy({ tokens: core.tokens, certs: core.certs, ui, pinReuseMinutes: 10 });
    const signing = new SigningUseCase({ certs: core.certs, signing: core.signing, policy, audit: new AuditLog(dataDir), ui });
    const rpc = new XtxDispatcher({ core, ui, signing, consents: new ConsentStore(dataDir), consentGate: new ConsentGate(), lang: 'zh-CN' });
    const origins = [TRUSTED_ORIGINS[0]!, 'https://shop.example.com', 'null'];
    let answered = 0;
    for (let i = 0; i < FRAMES; i++) {
      const origin = origins[i % origins.length]!;
      const session = new Session(origin, classifyOrigin(origin, core.config.trustedOrigins));
      const state: XtxState = { lastError: 0 };
      const text = frameAt(i);
      const reply = await rpc.dispatch(session, state, text);
      session.close();
      if (state.lastError === SOR.UNKNOWN) throw new Error(`internal error for frame ${i} (seed ${SEED}): ${text.slice(0, 200)}`);
      if (reply === null) continue;
      answered++;
      const parsed = JSON.parse(reply) as { call_cmd_id?: unknown; retVal?: unknown };
      if (typeof parsed.retVal !== 'string' || parsed.call_cmd_id === undefined) throw new Error(`malformed reply for frame ${i}: ${reply.slice(0, 200)}`);
    }
    expect(answered).toBeGreaterThan(FRAMES / 2);
  });
});
