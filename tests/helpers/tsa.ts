/** The test TSA (examples/tsa, `openssl ts -reply`) per test file, and small misbehaving HTTP servers standing in for broken TSAs. */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { startTsa, type RunningTsa } from '../../examples/tsa/server.js';
import type { TsaKeyKind } from '../../examples/tsa/tsa-pki.js';

/** A TSA with fresh keys in a temp dir, closed after the file's tests. */
export async function useTsa(key: TsaKeyKind = 'rsa'): Promise<RunningTsa> {
  const dir = await mkdtemp(join(tmpdir(), 'ca-assistant-tsa-'));
  const tsa = await startTsa({ dir, key });
  afterAll(async () => {
    await tsa.close();
    await rm(dir, { recursive: true, force: true });
  });
  return tsa;
}

/** An HTTP server on 127.0.0.1 answering every request with `handle`; closed after the file's tests. */
export async function useHttpServer(handle: (req: IncomingMessage, res: ServerResponse, body: Buffer) => void): Promise<string> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks)));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return `http://127.0.0.1:${(server.address() as { port: number }).port}/tsa`;
}
