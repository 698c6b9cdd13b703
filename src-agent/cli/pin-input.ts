/** Reading a PIN in a terminal: from the TTY without echo, or one line a time from stdin. */
import { UsageError } from './command.js';

type Input = NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => void };

/** Longest PIN accepted from a terminal or a pipe (default 64 bytes); more is cut off and zeroed. */
export const MAX_PIN_INPUT_BYTES = 64;

/**
 * Reads lines from a stream as Buffers (never strings, so the PIN can be
 * zeroed). `next()` resolves with the next line without its newline, or null at
 * end of input.
 */
export function lineReader(input: NodeJS.ReadableStream): { next(): Promise<Buffer | null> } {
  let pending = Buffer.alloc(0);
  let ended = false;
  const waiters: (() => void)[] = [];
  const wake = (): void => {
    for (const w of waiters.splice(0)) w();
  };
  input.on('data', (chunk: Buffer | string) => {
    const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    const joined = Buffer.concat([pending, data]);
    pending.fill(0);
    if (typeof chunk !== 'string') chunk.fill(0);
    pending = joined;
    wake();
  });
  input.on('end', () => {
    ended = true;
    wake();
  });
  input.pause();
  return {
    async next() {
      for (;;) {
        const nl = pending.indexOf(0x0a);
        if (nl >= 0 || ended) {
          if (nl < 0 && pending.length === 0) return null;
          const end = nl >= 0 ? nl : pending.length;
          const cut = end > 0 && pending[end - 1] === 0x0d ? end - 1 : end;
          const line = Buffer.from(pending.subarray(0, Math.min(cut, MAX_PIN_INPUT_BYTES)));
          const rest = Buffer.from(pending.subarray(nl >= 0 ? nl + 1 : pending.length));
          pending.fill(0);
          pending = rest;
          if (pending.length === 0) input.pause();
          return line;
        }
        input.resume();
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
  };
}

/**
 * Reads a PIN from a TTY in raw mode: nothing is echoed but a `*` per key;
 * Backspace deletes, Enter ends, Ctrl-C or Esc cancels (null).
 */
export function readPinFromTty(input: Input, prompt: NodeJS.WritableStream, question: string): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const buf = Buffer.alloc(MAX_PIN_INPUT_BYTES);
    let len = 0;
    prompt.write(question);
    input.setRawMode?.(true);
    input.resume();
    const finish = (ok: boolean): void => {
      input.removeListener('data', onData);
      input.setRawMode?.(false);
      input.pause();
      prompt.write('\n');
      const pin = ok && len > 0 ? Buffer.from(buf.subarray(0, len)) : null;
      buf.fill(0);
      resolve(pin);
    };
    const onData = (chunk: Buffer | string): void => {
      const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      try {
        for (const byte of data) {
          if (byte === 0x0d || byte === 0x0a) return finish(true);
          if (byte === 0x03 || byte === 0x1b || byte === 0x04) return finish(false);
          if (byte === 0x7f || byte === 0x08) {
            if (len > 0) {
              buf[--len] = 0;
              prompt.write('\b \b');
            }
          } else if (byte >= 0x20 && len < MAX_PIN_INPUT_BYTES) {
            buf[len++] = byte;
            prompt.write('*');
          }
        }
      } finally {
        // Also the chunk that ends the PIN (Enter) or cancels it: it holds the PIN's last bytes.
        data.fill(0);
      }
    };
    input.on('data', onData);
  });
}

/**
 * One PIN for a command: a line from stdin with `--pin-stdin`, else typed at
 * the TTY. Throws UsageError when there is no way to ask or the user gave none.
 */
export async function readPin(stdin: Input, stderr: NodeJS.WritableStream, fromStdin: boolean, questionZh = '请输入 CA 密码（PIN）：'): Promise<Buffer> {
  let pin: Buffer | null;
  if (fromStdin) pin = await lineReader(stdin).next();
  else if (stdin.isTTY && stdin.setRawMode) pin = await readPinFromTty(stdin, stderr, questionZh);
  else throw new UsageError('没有终端可输入 PIN：请使用 --pin-stdin 从标准输入提供');
  if (!pin || pin.length === 0) throw new UsageError(fromStdin ? '标准输入中没有 PIN' : '已取消：没有输入 PIN');
  return pin;
}
