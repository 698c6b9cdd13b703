import type { ChildProcess } from 'node:child_process';
import type { Writable } from 'node:stream';
import { AssistantError } from '../protocol/errors.js';
import { isReason } from '../protocol/reasons.js';
import { TOKEN_CALL_TIMEOUT_MS, TOKEN_HOST_START_TIMEOUT_MS } from '../limits.js';
import { logger } from '../util/log.js';
import { TypedEmitter } from '../util/typed-emitter.js';
import { traceStep } from '../util/request-trace.js';
import { PIN_CHANNEL_FD, type HostCall, type HostError, type HostHello, type HostOpen, type HostReply, type HostRequest } from './host-protocol.js';
import { spawnHost, takePreforkedHost } from './host-process.js';
import type { Sm2Params } from './p11-sm2.js';

const log = logger('token-host');

interface Pending {
  request: HostRequest;
  timeoutMs: number;
  resolve: (value: unknown) => void;
  reject: (error: AssistantError) => void;
}

export interface TokenHostOptions {
  /** Extra environment for the child (e.g. SOFTHSM2_CONF). */
  env?: Record<string, string>;
  /** Record a PKCS#11 call trace in the host. */
  trace?: boolean;
  /** The vendor table's SM2 constants for this (PKCS#11) module, passed to the host as JSON in argv. */
  sm2?: Sm2Params;
}

/** An error a host reported, rebuilt on the agent's side with the details the wire may carry. */
function hostError(error: HostError, fallback: 'INTERNAL' | 'MODULE_FAILED'): AssistantError {
  const reason = isReason(error.reason) ? error.reason : fallback;
  return new AssistantError(reason, error.message, { ...(error.ckr ? { ckr: error.ckr } : {}), ...(error.detailZh ? { detailZh: error.detailZh } : {}) });
}

type HostEvents = { exit: [reason: 'crashed' | 'killed' | 'stopped'] };

/**
 * The agent's side of one token host child process. Calls are queued and sent
 * one at a time; each has a timeout. A host that crashes or times out is
 * killed; only the call in flight fails (MODULE_CRASHED or TIMEOUT), and the
 * next call starts a fresh host.
 */
export class TokenHost extends TypedEmitter<HostEvents> {
  #child: ChildProcess | undefined;
  #starting: Promise<ChildProcess> | undefined;
  #queue: Pending[] = [];
  /** The call sent and not answered yet, with the child it was sent to. */
  #inFlight: (Pending & { id: number; timer: NodeJS.Timeout; child: ChildProcess }) | undefined;
  /** Children this side killed (timeout): their `exit` was already reported as 'killed'. */
  readonly #killed = new WeakSet<ChildProcess>();
  /** Set while a call is being dispatched (host starting), so a second pump cannot dispatch too. */
  #dispatching = false;
  #nextId = 1;
  #stopped = false;
  /** The last child forked, ready or not. */
  #spawned: ChildProcess | undefined;
  /** Times the host process was (re)started. */
  starts = 0;

  constructor(readonly modulePath: string, private readonly options: TokenHostOptions = {}) {
    super();
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** No call queued, being dispatched or in flight. */
  get idle(): boolean {
    return this.#queue.length === 0 && !this.#dispatching && !this.#inFlight;
  }

  /** Sends one request; resolves with the host's result or rejects with an AssistantError. */
  call<T>(request: HostRequest, timeoutMs = TOKEN_CALL_TIMEOUT_MS): Promise<T> {
    if (this.#stopped) return Promise.reject(new AssistantError('MODULE_FAILED', 'token host stopped'));
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ request, timeoutMs, resolve: resolve as (v: unknown) => void, reject });
      void this.#pump();
    });
  }

  /** Stops the host: pending calls fail, the child is asked to finalize and exit. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const p of this.#queue.splice(0)) p.reject(new AssistantError('MODULE_FAILED', 'token host stopped'));
    // A host still starting (not yet said hello) must go too, or it outlives the agent.
    const child = this.#child ?? this.#spawned;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
      }, 2000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      if (child.connected) child.disconnect();
      else child.kill('SIGKILL');
    });
  }

  async #pump(): Promise<void> {
    if (this.#inFlight || this.#dispatching || this.#queue.length === 0) return;
    const next = this.#queue.shift() as Pending;
    this.#dispatching = true;
    let child: ChildProcess;
    try {
      child = await this.#ensureStarted();
    } catch (error) {
      this.#dispatching = false;
      next.reject(error as AssistantError);
      void this.#pump();
      return;
    }
    this.#dispatching = false;
    const id = this.#nextId++;
    const timer = setTimeout(() => this.#onTimeout(id), next.timeoutMs);
    this.#inFlight = { ...next, id, timer, child };
    const { request } = next;
    if (request.op !== 'login') {
      if (request.op === 'sign') traceStep('sent to token host');
      child.send({ id, request } satisfies HostCall, (error) => this.#onSendFailed(child, error));
      return;
    }
    // The PIN never enters an IPC message (see HostWireRequest); the caller's Buffer is zeroed once the pipe took it.
    const pin = request.pin;
    child.send({ id, request: { op: 'login', slotId: request.slotId, pinBytes: pin.byteLength } } satisfies HostCall, (error) => this.#onSendFailed(child, error));
    const channel = child.stdio[PIN_CHANNEL_FD] as Writable | null;
    if (!channel) return void pin.fill(0);
    channel.write(pin, () => pin.fill(0));
  }

  /**
   * A write to a host that died a moment ago (its exit not delivered yet) fails
   * with EPIPE. The call in flight fails with MODULE_CRASHED when the exit
   * arrives; the child is killed so that it does, whatever state it is in.
   */
  #onSendFailed(child: ChildProcess, error: Error | null): void {
    if (!error) return;
    log.warn('token host IPC write failed', { module: this.modulePath, error: error.message });
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }

  #onTimeout(id: number): void {
    const pending = this.#inFlight;
    if (!pending || pending.id !== id) return;
    log.warn('token host call timed out; killing the host', { module: this.modulePath, op: pending.request.op, timeoutMs: pending.timeoutMs });
    this.#inFlight = undefined;
    pending.reject(new AssistantError('TIMEOUT', `token host ${pending.request.op} timed out after ${pending.timeoutMs} ms`));
    this.#kill();
  }

  #kill(): void {
    const child = this.#child;
    this.#child = undefined;
    if (child) this.#killed.add(child);
    if (child && child.exitCode === null) child.kill('SIGKILL');
    this.emit('exit', 'killed');
    void this.#pump();
  }

  #onReply(reply: HostReply): void {
    const pending = this.#inFlight;
    if (!pending || pending.id !== reply.id) return;
    clearTimeout(pending.timer);
    this.#inFlight = undefined;
    if (pending.request.op === 'sign') traceStep('token host answered');
    if (reply.ok) pending.resolve(reply.result);
    else pending.reject(hostError(reply.error, 'INTERNAL'));
    void this.#pump();
  }

  #ensureStarted(): Promise<ChildProcess> {
    if (this.#child && this.#child.connected) return Promise.resolve(this.#child);
    this.#starting ??= this.#start().finally(() => {
      this.#starting = undefined;
    });
    return this.#starting;
  }

  #start(): Promise<ChildProcess> {
    const sm2 = this.options.sm2 ? JSON.stringify(this.options.sm2) : undefined;
    // A host pre-forked with the agent's own environment serves a host that needs nothing else.
    const preforked = this.options.env || this.options.trace ? undefined : takePreforkedHost();
    let child: ChildProcess;
    if (preforked) {
      child = preforked;
      child.send({ open: { modulePath: this.modulePath, ...(sm2 ? { sm2 } : {}) } } satisfies HostOpen, (error) => this.#onSendFailed(child, error));
    } else {
      const env = { ...process.env, ...this.options.env, ...(this.options.trace ? { CA_ASSISTANT_P11_TRACE: '1' } : {}) };
      child = spawnHost([this.modulePath, ...(sm2 ? [sm2] : [])], env);
    }
    this.#spawned = child;
    this.starts++;
    // A host that dies with a PIN on its way must not raise an unhandled EPIPE in the agent.
    (child.stdio[PIN_CHANNEL_FD] as Writable | null)?.on('error', () => undefined);
    // Nor may any other failure of the child object (its exit is what ends the calls).
    child.on('error', (error) => log.warn('token host process error', { module: this.modulePath, error: error.message }));
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-4000);
    });
    return new Promise<ChildProcess>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new AssistantError('TIMEOUT', `token host for ${this.modulePath} did not start in ${TOKEN_HOST_START_TIMEOUT_MS} ms`));
      }, TOKEN_HOST_START_TIMEOUT_MS);
      child.once('message', (hello: HostHello) => {
        clearTimeout(timer);
        if (this.#stopped) {
          child.kill('SIGKILL');
          reject(new AssistantError('MODULE_FAILED', 'token host stopped while starting'));
          return;
        }
        if (hello.ok) {
          this.#child = child;
          child.on('message', (reply: HostReply) => this.#onReply(reply));
          resolve(child);
        } else reject(hostError(hello.error, 'MODULE_FAILED'));
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        if (this.#child === child) this.#child = undefined;
        // Only a call sent to this child dies with it; one already sent to its successor is not touched.
        const pending = this.#inFlight;
        if (pending && pending.child === child) {
          clearTimeout(pending.timer);
          this.#inFlight = undefined;
          pending.reject(new AssistantError('MODULE_CRASHED', `token host exited (code ${code}, signal ${signal}) during ${pending.request.op}`));
        }
        if (this.#killed.has(child)) {
          // Reported once already, when it was killed.
        } else if (!this.#stopped) {
          log.warn('token host exited', { module: this.modulePath, code, signal, stderr: stderr.trim().slice(-500) });
          this.emit('exit', 'crashed');
        } else this.emit('exit', 'stopped');
        reject(new AssistantError('MODULE_FAILED', `token host for ${this.modulePath} exited before it was ready (code ${code}, signal ${signal}) ${stderr.trim().slice(-300)}`));
        void this.#pump();
      });
    });
  }
}
