/**
 * TokenHost's bookkeeping when a host is killed on timeout. The race (the old
 * child's `exit` arriving after the next call went to its successor) cannot be
 * forced with real processes, so `fork` is replaced by a child whose messages
 * and exit the test delivers: the same events, in the order the test chooses.
 * The real host process is covered by tests/agent/tokens/token-manager and
 * tests/reliability.
 */
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';

class FakeChild extends EventEmitter {
  static all: FakeChild[] = [];
  connected = true;
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  readonly pid = 4000 + FakeChild.all.length;
  readonly stderr = new EventEmitter();
  /** As fork's: stdin, stdout, stderr, ipc, and the PIN pipe (fd 4; no login is sent here). */
  readonly stdio: (EventEmitter | null)[] = [null, null, this.stderr, null, null];
  readonly sent: { id: number; request: { op: string } }[] = [];
  /** Set when the child is gone but its exit has not been delivered: writes to the IPC channel fail as Node's do. */
  brokenPipe = false;
  send(message: { id: number; request: { op: string } }, callback?: (error: Error | null) => void): boolean {
    if (this.brokenPipe) {
      // Node's ChildProcess.send: the error goes to the callback, or is emitted as 'error' when there is none.
      const error = Object.assign(new Error('write EPIPE'), { code: 'EPIPE', errno: -32, syscall: 'write' });
      if (callback) process.nextTick(callback, error);
      else process.nextTick(() => this.emit('error', error));
      return false;
    }
    this.sent.push(message);
    if (callback) process.nextTick(callback, null);
    return true;
  }
  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    this.connected = false;
    this.signalCode = signal; // the exit event comes when the test says so
    return true;
  }
  disconnect(): void {
    this.connected = false;
    this.die(0, null);
  }
  die(code: number | null, signal: NodeJS.Signals | null): void {
    this.exitCode = code;
    this.emit('exit', code, signal);
  }
  reply(id: number, result: unknown): void {
    this.emit('message', { id, ok: true, result });
  }
}

vi.mock('node:child_process', async (original) => ({
  ...(await original<typeof import('node:child_process')>()),
  fork: vi.fn(() => {
    const child = new FakeChild();
    FakeChild.all.push(child);
    queueMicrotask(() => child.emit('message', { hello: true, ok: true }));
    return child;
  }),
}));

const { TokenHost } = await import('../../../src-agent/tokens/token-host.js');

afterEach(() => {
  FakeChild.all = [];
});

describe('TokenHost after a timeout', () => {
  it('reports the killed host once, not once more when its exit arrives', async () => {
    const host = new TokenHost('/fake/module.so');
    const exits: string[] = [];
    host.on('exit', (why) => exits.push(why));
    await expect(host.call({ op: 'hang' }, 30)).rejects.toMatchObject({ reason: 'TIMEOUT' });
    const old = FakeChild.all[0]!;
    expect(old.signalCode).toBe('SIGKILL');
    old.die(null, 'SIGKILL');
    expect(exits).toEqual(['killed']);
    await host.stop();
  });

  it('does not fail a call sent to the new host when the killed host’s exit arrives late', async () => {
    const host = new TokenHost('/fake/module.so');
    await expect(host.call({ op: 'hang' }, 30)).rejects.toMatchObject({ reason: 'TIMEOUT' });
    const next = host.call<string>({ op: 'slots' });
    await vi.waitFor(() => expect(FakeChild.all[1]?.sent).toHaveLength(1));
    const [old, fresh] = FakeChild.all as [FakeChild, FakeChild];
    old.die(null, 'SIGKILL');
    fresh.reply(fresh.sent[0]!.id, 'answered by the new host');
    await expect(next).resolves.toBe('answered by the new host');
    await host.stop();
  });

  it('still fails the call in flight with MODULE_CRASHED when its own host dies', async () => {
    const host = new TokenHost('/fake/module.so');
    const exits: string[] = [];
    host.on('exit', (why) => exits.push(why));
    const call = host.call({ op: 'hang' });
    await vi.waitFor(() => expect(FakeChild.all[0]?.sent).toHaveLength(1));
    FakeChild.all[0]!.die(null, 'SIGSEGV');
    await expect(call).rejects.toMatchObject({ reason: 'MODULE_CRASHED' });
    expect(exits).toEqual(['crashed']);
    await host.stop();
  });

  it('fails a call written to a host that died a moment before with MODULE_CRASHED, raising nothing', async () => {
    const host = new TokenHost('/fake/module.so');
    const first = host.call<string>({ op: 'slots' });
    await vi.waitFor(() => expect(FakeChild.all[0]?.sent).toHaveLength(1));
    const child = FakeChild.all[0]!;
    child.reply(child.sent[0]!.id, 'ok');
    await first;
    // SIGKILLed from outside: the pipe is gone before Node delivers the exit, and the next call is written to it.
    child.brokenPipe = true;
    const errors: unknown[] = [];
    const onError = (error: unknown): number => errors.push(error);
    process.on('uncaughtException', onError);
    try {
      const call = host.call({ op: 'slots' });
      await new Promise((r) => setTimeout(r, 20));
      child.die(null, 'SIGKILL');
      await expect(call).rejects.toMatchObject({ reason: 'MODULE_CRASHED' });
      expect(errors).toEqual([]);
    } finally {
      process.off('uncaughtException', onError);
    }
    await host.stop();
  });
});
