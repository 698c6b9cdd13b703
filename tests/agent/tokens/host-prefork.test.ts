/**
 * TokenHost adopting the host `serve` forks ahead of need
 * (tokens/host-process.ts), with `fork` replaced by children that follow the
 * host protocol: a pre-forked one says hello only after its HostOpen message.
 * The real processes are covered by host-prefork.integration.test.ts.
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';

class FakeChild extends EventEmitter {
  static all: FakeChild[] = [];
  connected = true;
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  readonly pid = 6000 + FakeChild.all.length;
  readonly stderr = new EventEmitter();
  readonly stdio: (EventEmitter | null)[] = [null, null, this.stderr, null, null];
  readonly sent: unknown[] = [];
  /** Whether the child and its IPC channel keep the agent's event loop alive. */
  referenced = true;
  readonly channel = { ref: (): void => void (this.channelReferenced = true), unref: (): void => void (this.channelReferenced = false) };
  channelReferenced = true;
  ref(): void {
    this.referenced = true;
  }
  unref(): void {
    this.referenced = false;
  }
  constructor(readonly args: string[], readonly env: NodeJS.ProcessEnv) {
    super();
  }
  send(message: { id?: number; open?: unknown; request?: { op: string } }, callback?: (error: Error | null) => void): boolean {
    this.sent.push(message);
    if (callback) process.nextTick(callback, null);
    if (message.open) queueMicrotask(() => this.emit('message', { hello: true, ok: true }));
    else if (message.id !== undefined) queueMicrotask(() => this.emit('message', { id: message.id, ok: true, result: `${message.request?.op} answered` }));
    return true;
  }
  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    this.connected = false;
    this.signalCode = signal;
    queueMicrotask(() => this.emit('exit', null, signal));
    return true;
  }
  disconnect(): void {
    this.connected = false;
    this.exitCode = 0;
    queueMicrotask(() => this.emit('exit', 0, null));
  }
}

vi.mock('node:child_process', async (original) => ({
  ...(await original<typeof import('node:child_process')>()),
  fork: vi.fn((_file: string, args: string[], options: { env: NodeJS.ProcessEnv }) => {
    const child = new FakeChild(args, options.env);
    FakeChild.all.push(child);
    // A host given its module in argv says hello once loaded; a pre-forked one waits for HostOpen.
    if (args[0] !== '--wait-for-module') queueMicrotask(() => child.emit('message', { hello: true, ok: true }));
    return child;
  }),
}));

const { preforkHost, releasePreforkedHost } = await import('../../../src-agent/tokens/host-process.js');
const { TokenHost } = await import('../../../src-agent/tokens/token-host.js');

describe('the pre-forked token host', () => {
  // One sequence: the pre-fork is process-wide state, ended for good by releasePreforkedHost.
  it('serves the first default host, not one with its own environment, and is ended when nobody took it', async () => {
    preforkHost();
    preforkHost();
    expect(FakeChild.all).toHaveLength(1);
    const spare = FakeChild.all[0]!;
    expect(spare.args).toEqual(['--wait-for-module']);
    // Until adopted it must not keep the agent alive: a config error exits at once.
    expect([spare.referenced, spare.channelReferenced]).toEqual([false, false]);

    const host = new TokenHost('/vendor/libvendor-p11.so', { sm2: { signMechanism: '0x80000001', signatureFormat: 'der' } as never });
    await expect(host.call({ op: 'slots' })).resolves.toBe('slots answered');
    expect(FakeChild.all).toHaveLength(1);
    expect(spare.sent[0]).toEqual({ open: { modulePath: '/vendor/libvendor-p11.so', sm2: JSON.stringify({ signMechanism: '0x80000001', signatureFormat: 'der' }) } });
    expect(host.pid).toBe(spare.pid);
    expect([spare.referenced, spare.channelReferenced]).toEqual([true, true]);

    // A second spare: a host with an environment of its own (tests, the demo) forks as before.
    preforkHost();
    const second = FakeChild.all[1]!;
    const own = new TokenHost('/other/module.so', { env: { SOFTHSM2_CONF: '/tmp/softhsm2.conf' } });
    await own.call({ op: 'info' });
    expect(FakeChild.all).toHaveLength(3);
    expect(FakeChild.all[2]!.args).toEqual(['/other/module.so']);
    expect(FakeChild.all[2]!.env.SOFTHSM2_CONF).toBe('/tmp/softhsm2.conf');
    expect(second.sent).toEqual([]);

    // The token layer started: the unused spare goes, and none is forked after.
    releasePreforkedHost();
    expect(second.connected).toBe(false);
    preforkHost();
    expect(FakeChild.all).toHaveLength(3);
    await host.stop();
    await own.stop();
  });
});
