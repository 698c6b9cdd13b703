import { UsageError } from './command.js';

type Stdin = NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => void };

/** Longest PIN line read, in bytes (PKCS#11 PINs are short; default 256). */
const MAX_PIN_BYTES = 256;

/**
 * Reads a PIN: one line from stdin with `--pin-stdin`, else typed at the TTY
 * without echo. Returns a Buffer the caller zeroes after use.
 */
export async function readPin(stdin: Stdin, stderr: NodeJS.WritableStream, fromStdin: boolean, promptZh = '请输入 CA 密码（PIN）：'): Promise<Buffer> {
  if (fromStdin) return readLine(stdin);
  if (!stdin.isTTY || !stdin.setRawMode) throw new UsageError('没有终端可输入 PIN：请使用 --pin-stdin 从标准输入提供');
  stderr.write(promptZh);
  const pin = Buffer.alloc(MAX_PIN_BYTES);
  let length = 0;
  stdin.setRawMode(true);
  stdin.resume();
  try {
    return await new Promise<Buffer>((resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        for (const byte of chunk) {
          if (byte === 0x0d || byte === 0x0a) {
            stdin.off('data', onData);
            stderr.write('\n');
            const out = Buffer.from(pin.subarray(0, length));
            resolve(out);
            return;
          }
          if (byte === 0x03) {
            stdin.off('data', onData);
            stderr.write('\n');
            reject(new UsageError('已取消'));
            return;
          }
          if (byte === 0x7f || byte === 0x08) length = Math.max(0, length - 1);
          else if (length < MAX_PIN_BYTES) pin[length++] = byte;
        }
      };
      stdin.on('data', onData);
    });
  } finally {
    pin.fill(0);
    stdin.setRawMode(false);
    stdin.pause();
  }
}

async function readLine(stdin: Stdin): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stdin) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    chunks.push(buf);
    total += buf.length;
    if (buf.includes(0x0a) || total > MAX_PIN_BYTES) break;
  }
  const all = Buffer.concat(chunks);
  for (const c of chunks) c.fill(0);
  const end = all.indexOf(0x0a);
  let line = all.subarray(0, end === -1 ? all.length : end);
  if (line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
  if (line.length === 0) throw new UsageError('标准输入中没有 PIN');
  if (line.length > MAX_PIN_BYTES) throw new UsageError('PIN 过长');
  const pin = Buffer.from(line);
  all.fill(0);
  return pin;
}
