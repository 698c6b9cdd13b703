/**
 * A module without hot-plug (rescan: reinitialize) moves its tokens to a fresh
 * host generation when the probe sees the set of tokens change, and retires the
 * old host. A call already queued on, or sent to, the old host must still get
 * its answer: the old host is stopped only once it is idle.
 *
 * The moment matters (a call held on the old host across the rescan), so
 * `fork` is replaced by children that answer the host protocol at once, except
 * for `objects`, which the test answers when it chooses. The real host process
 * is covered by tests/agent/tokens/token-manager and tests/reliability.
 */
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';

type Message = { id: number; request: { op: string } };

const token = (label: string): unknown => ({ label, manufacturer: 'Fake', model: 'F1', serial: label, flags: 0x400, minPinLen: 4, maxPinLen: 16 });
const world = { tokens: ['甲'] };

class FakeChild extends EventEmitter {
  static all: FakeChild[] = [];
  connected = true;
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  readonly pid = 5000 + FakeChild.all.length;
  readonly stderr = new EventEmitter();
  readonly stdio: (EventEmitter | null)[] = [null, null, this.stderr, null, null];
  readonly held: Message[] = [];
  send(message: Message, callback?: (error: Error | null) => void): boolean {
    if (callback) process.nextTick(callback, null);
    const result = this.#answer(message.request.op);
    if (result === HOLD) this.held.push(message);
    else queueMicrotask(() => this.emit('message', { id: message.id, ok: true, result }));
    return true;
  }
  #answer(op: string): unknown {
    switch (op) {
      case 'info':
        return { manufacturer: 'Fake', description: 'fake module', cryptokiVersion: '2.40', libraryVersion: '1.0' };
      case 'slots':
        return world.tokens.map((label, i) => ({ slotId: String(i), description: `slot ${i}`, tokenPresent: true, token: token(label) }));
      case 'objects':
      case 'login':
        return HOLD;
      default:
        return null;
    }
  }
  release(message: Message, result: unknown): void {
    this.emit('message', { id: message.id, ok: true, result });
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
const HOLD = Symbol('hold');

vi.mock('node:child_process', async (original) => ({
  ...(await original<typeof import('node:child_process')>()),
  fork: vi.fn(() => {
    const child = new FakeChild();
    FakeChild.all.push(child);
    queueMicrotask(() => child.emit('message', { hello: true, ok: true }));
    return child;
  }),
}));

const { ModuleRuntime } = await import('../../../src-agent/tokens/module-runtime.js');
type Route = import('../../../src-agent/tokens/module-runtime.js').Route;
const { TokenManager } = await import('../../../src-agent/tokens/token-manager.js');

afterEach(() => {
  FakeChild.all = [];
  world.tokens = ['甲'];
});

/** The child a call is held on (its answer not given yet). */
function heldChild(): Promise<FakeChild> {
  return vi.waitFor(() => {
    const child = FakeChild.all.find((c) => c.held.length > 0);
    if (!child) throw new Error('call not sent yet');
    return child;
  });
}

/** A started module with one token, and an `objects` call held on the host that serves it. */
async function holdingRead(): Promise<{ runtime: InstanceType<typeof ModuleRuntime>; route: Route; read: Promise<string>; oldChild: FakeChild }> {
  const runtime = new ModuleRuntime({ path: '/fake/p11.so', source: 'config', rescan: 'reinitialize', exists: true }, [], {}, () => undefined);
  await runtime.start();
  await runtime.enumerate();
  const route = [...runtime.routes.values()][0]!;
  const read = route.host.call<string>({ op: 'objects', slotId: route.slotId });
  return { runtime, route, read, oldChild: await heldChild() };
}

describe('retiring a host generation', () => {
  it('lets a call held on the old host finish, and stops that host once it is idle', async () => {
    const { runtime, route, read, oldChild } = await holdingRead();
    const oldHost = route.host;

    // A second token appears: the probe sees it, the tokens move to the spare generation.
    world.tokens = ['甲', '乙'];
    await runtime.enumerate();
    expect([...runtime.routes.values()].every((r) => r.host !== oldHost)).toBe(true);
    expect(oldChild.connected).toBe(true);

    oldChild.release(oldChild.held[0]!, 'objects of 甲');
    await expect(read).resolves.toBe('objects of 甲');

    // Idle now: the next rescan stops it.
    await runtime.enumerate();
    expect(oldChild.connected).toBe(false);
    await runtime.stop();
  });

  it('stops a host still draining when the module stops', async () => {
    const { runtime, read, oldChild } = await holdingRead();
    world.tokens = ['甲', '乙'];
    await runtime.enumerate();
    await runtime.stop();
    expect(oldChild.connected).toBe(false);
    await expect(read).rejects.toMatchObject({ reason: 'MODULE_CRASHED' });
  });

  it('keeps a token on the host generation its login finished on, when a rescan moved it meanwhile', async () => {
    const tokens = await TokenManager.start({ modules: [{ path: '/fake/p11.so', source: 'config', rescan: 'reinitialize', exists: true }], vendors: [], pollIntervalMs: 0 });
    const tokenId = tokens.tokens()[0]!.id;
    const login = tokens.login(tokenId, Buffer.from('12345678'));
    const hostChild = await heldChild();
    world.tokens = ['甲', '乙'];
    await tokens.refresh();
    expect(tokens.hostOf(tokenId).pid).not.toBe(hostChild.pid);

    hostChild.release(hostChild.held[0]!, null);
    await login;
    expect(tokens.tokens().find((t) => t.id === tokenId)?.loggedIn).toBe(true);
    expect(tokens.hostOf(tokenId).pid).toBe(hostChild.pid);
    // The next rescan leaves it there, and does not stop that host.
    await tokens.refresh();
    expect(tokens.hostOf(tokenId).pid).toBe(hostChild.pid);
    expect(hostChild.connected).toBe(true);
    await tokens.stop();
  });
});
