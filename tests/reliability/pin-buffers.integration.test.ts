/**
 * Issue 15, item 13: PIN bytes the agent handled stayed in memory. The TTY
 * reader returned on Enter before zeroing the chunk holding the end of the
 * PIN, and the login message to the token host carried the PIN through IPC,
 * whose serialization buffers Node never zeroes. Now every chunk is zeroed,
 * and the PIN crosses to the host over its own pipe from a Buffer that is
 * zeroed once written: no IPC message holds it.
 */
import { ChildProcess } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lineReader, readPinFromTty } from '../../src-agent/cli/pin-input.js';
import type { TokenManager } from '../../src-agent/tokens/token-manager.js';
import { useFixtures } from '../helpers/fixtures.js';
import { startTokens, tokenByLabel } from '../helpers/tokens.js';
import { fixtureToken } from './agent.js';

const fx = await useFixtures();

/** Every IPC message the agent sends to a child, recorded from each child's `send` as it is set up. */
const sent: unknown[] = [];
// `spawn` is on the prototype but not in @types/node; fork() calls it, then sets up `send` on the instance.
type Spawn = (this: ChildProcess, ...args: unknown[]) => unknown;
const proto = ChildProcess.prototype as unknown as { spawn: Spawn };
const originalSpawn = proto.spawn;
function recordingSpawn(this: ChildProcess, ...args: unknown[]): unknown {
  const result = originalSpawn.apply(this, args);
  const send = this.send?.bind(this);
  if (send) this.send = ((message: unknown, ...rest: unknown[]) => (sent.push(structuredClone(message)), (send as (...a: unknown[]) => boolean)(message, ...rest))) as ChildProcess['send'];
  return result;
}

describe('terminal PIN input', () => {
  it('zeroes the chunk that ends the PIN (Enter in the same chunk)', async () => {
    const input = new PassThrough() as PassThrough & { isTTY?: boolean; setRawMode?: (raw: boolean) => void };
    input.setRawMode = () => undefined;
    const chunk = Buffer.from('4711\r');
    const pin = readPinFromTty(input, new PassThrough(), 'PIN: ');
    input.emit('data', chunk);
    const got = await pin;
    expect(got?.toString()).toBe('4711');
    expect([...chunk]).toEqual([0, 0, 0, 0, 0]);
  });

  it('zeroes a cancelled chunk too', async () => {
    const input = new PassThrough() as PassThrough & { setRawMode?: (raw: boolean) => void };
    input.setRawMode = () => undefined;
    const chunk = Buffer.from('12\u0003');
    const pin = readPinFromTty(input, new PassThrough(), 'PIN: ');
    input.emit('data', chunk);
    expect(await pin).toBeNull();
    expect([...chunk]).toEqual([0, 0, 0]);
  });

  it('lineReader zeroes what it read', async () => {
    const input = new PassThrough();
    const chunk = Buffer.from('9876\nrest');
    const reader = lineReader(input);
    const line = reader.next();
    input.emit('data', chunk);
    expect((await line)?.toString()).toBe('9876');
    expect(chunk.every((b) => b === 0)).toBe(true);
  });
});

describe('login message to the token host', () => {
  let manager: TokenManager;
  beforeAll(async () => {
    proto.spawn = recordingSpawn;
    manager = await startTokens(fx, { pollIntervalMs: 0 });
  });
  afterAll(async () => {
    proto.spawn = originalSpawn;
    await manager?.stop();
  });

  it('carries no PIN byte over IPC, and the agent zeroes the buffer it wrote to the PIN pipe', async () => {
    const supplier = fixtureToken(fx, 'supplier');
    const pin = Buffer.from(supplier.userPin);
    await manager.login(tokenByLabel(manager, supplier.label).id, pin);
    expect(tokenByLabel(manager, supplier.label).loggedIn).toBe(true);
    const logins = sent.filter((m) => (m as { request?: { op?: string } }).request?.op === 'login');
    expect(logins).toHaveLength(1);
    const pinBytes = Buffer.from(supplier.userPin);
    const holdsPin = (value: unknown): boolean => {
      if (value instanceof Uint8Array) return Buffer.from(value).includes(pinBytes);
      if (typeof value === 'string') return value.includes(supplier.userPin);
      if (typeof value === 'object' && value !== null) return Object.values(value).some(holdsPin);
      return false;
    };
    expect(logins.some(holdsPin)).toBe(false);
    expect(pin.every((b) => b === 0)).toBe(true);
  });
});
