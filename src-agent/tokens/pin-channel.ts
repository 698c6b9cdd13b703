/**
 * The token host's end of the PIN channel (fd 4, see HostWireRequest): reads
 * exactly the bytes a login announced into a fresh Buffer and zeroes every
 * chunk the pipe delivered.
 */
import { Socket } from 'node:net';
import { AssistantError } from '../protocol/errors.js';
import { PIN_CHANNEL_FD } from './host-protocol.js';

/** Longest PIN the channel accepts, bytes (default 256; the dialogs allow 64). */
const MAX_PIN_CHANNEL_BYTES = 256;

export class PinChannel {
  #socket: Socket | undefined;
  #held: Buffer[] = [];
  #heldBytes = 0;
  #waiter: (() => void) | undefined;

  #open(): Socket {
    if (this.#socket) return this.#socket;
    const socket = new Socket({ fd: PIN_CHANNEL_FD, readable: true, writable: false });
    socket.on('data', (chunk: Buffer) => {
      this.#held.push(Buffer.from(chunk));
      this.#heldBytes += chunk.length;
      chunk.fill(0);
      this.#waiter?.();
    });
    socket.on('error', () => undefined);
    this.#socket = socket;
    return socket;
  }

  /** The next `bytes` bytes, as a Buffer the caller zeroes. */
  async read(bytes: number): Promise<Buffer> {
    if (!Number.isSafeInteger(bytes) || bytes < 0 || bytes > MAX_PIN_CHANNEL_BYTES) throw new AssistantError('BAD_REQUEST', 'bad PIN length');
    if (bytes === 0) return Buffer.alloc(0);
    this.#open();
    while (this.#heldBytes < bytes) await new Promise<void>((resolve) => (this.#waiter = resolve));
    this.#waiter = undefined;
    const joined = Buffer.concat(this.#held);
    for (const b of this.#held) b.fill(0);
    const pin = Buffer.from(joined.subarray(0, bytes));
    const rest = joined.length > bytes ? [Buffer.from(joined.subarray(bytes))] : [];
    joined.fill(0);
    this.#held = rest;
    this.#heldBytes = rest[0]?.length ?? 0;
    return pin;
  }

  close(): void {
    this.#socket?.destroy();
  }
}
