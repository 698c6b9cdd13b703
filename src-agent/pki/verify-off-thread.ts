/**
 * verify.cms off the agent's event loop: {@link verifyCmsOffThread} hands the
 * work to one child process (verify-worker.ts, forked like the token hosts),
 * started on first use and restarted after a crash or a timeout. Parsing a
 * 48 KiB CMS alone takes asn1js tens of milliseconds, which in the agent's
 * thread would delay every other client's calls. (A worker thread would be
 * lighter, but cannot load the TypeScript sources the tests run.)
 */
import { fork, type ChildProcess } from 'node:child_process';
import { VERIFY_CMS_TIMEOUT_MS } from '../limits.js';
import { AssistantError } from '../protocol/errors.js';
import { isReason } from '../protocol/reasons.js';
import { childEntry } from '../util/child-entry.js';
import type { SignerVerification, VerifyCmsInput, VerifyCmsResult } from './cms-verify.js';
import { validateHash } from './hash.js';
import { PROBLEMS } from './problems.js';

interface Waiter { resolve(result: VerifyCmsResult): void; reject(error: AssistantError): void; timer: NodeJS.Timeout; now: Date }

let worker: ChildProcess | undefined;
let nextId = 1;
const waiting = new Map<number, Waiter>();

const toBuffer = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
const fixSigner = (s: SignerVerification): SignerVerification => ({ ...s, chain: s.chain.map(toBuffer) });

/** The result for a verification that did not finish (worker crashed or took too long). */
function unfinished(now: Date, en: string): VerifyCmsResult {
  const problem = PROBLEMS.limitExceeded('签名验证未能在限定时间内完成', en);
  return { valid: false, signer: null, chainTrusted: false, chain: [], validityTime: { time: now.toISOString(), source: 'now' }, signers: [], problems: [problem] };
}

function settleAll(en: string): void {
  for (const [id, w] of waiting) {
    clearTimeout(w.timer);
    w.resolve(unfinished(w.now, en));
    waiting.delete(id);
  }
}

/** The IPC channel keeps the agent alive only while a verification is pending. */
function holdOpen(w: ChildProcess): void {
  if (waiting.size > 0) w.channel?.ref();
  else w.channel?.unref();
}

function start(): ChildProcess {
  const { file, execArgv } = childEntry(import.meta.url, 'verify-worker');
  // ELECTRON_RUN_AS_NODE: in the desktop app process.execPath is Electron, which must run as plain Node here (plain Node ignores it).
  const env = { ...process.env, ELECTRON_RUN_AS_NODE: '1' };
  const w = fork(file, [], { execArgv: [...execArgv, '--max-old-space-size=256'], env, serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  w.unref();
  w.on('message', (m: { id: number; result?: VerifyCmsResult; error?: { reason: string; message: string; details: Record<string, unknown> } }) => {
    const waiter = waiting.get(m.id);
    if (!waiter) return;
    waiting.delete(m.id);
    clearTimeout(waiter.timer);
    holdOpen(w);
    if (m.result) {
      waiter.resolve({ ...fixSigner(m.result), signers: m.result.signers.map(fixSigner) });
    } else {
      const reason = m.error && isReason(m.error.reason) ? m.error.reason : 'INTERNAL';
      waiter.reject(new AssistantError(reason, m.error?.message, m.error?.details ?? {}));
    }
  });
  const gone = () => {
    if (worker === w) worker = undefined;
    settleAll('the verification worker stopped');
  };
  w.on('error', gone);
  w.on('exit', gone);
  holdOpen(w);
  return w;
}

/**
 * {@link verifyCms} in the worker thread. The hash length is checked here
 * first (BAD_REQUEST, as verifyCms throws it); a verification that takes
 * longer than VERIFY_CMS_TIMEOUT_MS ends the worker and comes back as
 * LIMIT_EXCEEDED.
 */
export async function verifyCmsOffThread(input: VerifyCmsInput): Promise<VerifyCmsResult> {
  validateHash(input.hash, input.hashAlgorithm);
  const now = input.now ?? new Date();
  worker ??= start();
  const w = worker;
  const id = nextId++;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      waiting.delete(id);
      resolve(unfinished(now, `verification took longer than ${VERIFY_CMS_TIMEOUT_MS} ms`));
      if (worker === w) worker = undefined;
      w.kill('SIGKILL');
    }, VERIFY_CMS_TIMEOUT_MS);
    waiting.set(id, { resolve, reject, timer, now });
    holdOpen(w);
    w.send({ id, input: { ...input, now } });
  });
}
