/** The test TSA (examples/tsa, `openssl ts -reply`) per test file, and small misbehaving HTTP servers standing in for broken TSAs. */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
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

/**
 * `openssl ts -verify` on the signature time-stamp of a CMS's first SignerInfo, over the SHA-256 of
 * its signature value: openssl's own parser finds the token (after the id-smime-aa-timeStampToken OID)
 * and the signature value (the OCTET STRING before the unsigned attributes).
 */
export function opensslTokenVerify(cms: Buffer, rootPem: string): { status: number | null; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ca-tsa-verify-'));
  const file = join(dir, 'cms.der');
  writeFileSync(file, cms);
  const lines = spawnSync('openssl', ['asn1parse', '-inform', 'DER', '-in', file]).stdout.toString().split('\n');
  const at = lines.findIndex((l) => l.includes('id-smime-aa-timeStampToken'));
  const offsetOf = (line: string | undefined): number => Number(/^\s*(\d+):/.exec(line ?? '')?.[1]);
  // The line before the [1] unsigned attributes is the SignerInfo's signature OCTET STRING.
  const unsigned = lines.slice(0, at).map((l) => l.includes('cont [ 1 ]')).lastIndexOf(true);
  const sigHex = /\[HEX DUMP\]:([0-9A-F]+)/.exec(lines[unsigned - 1] ?? '')?.[1] ?? '';
  const token = join(dir, 'token.der');
  spawnSync('openssl', ['asn1parse', '-inform', 'DER', '-in', file, '-strparse', String(offsetOf(lines[at + 2])), '-noout', '-out', token]);
  const digest = createHash('sha256').update(Buffer.from(sigHex, 'hex')).digest('hex');
  const r = spawnSync('openssl', ['ts', '-verify', '-token_in', '-in', token, '-digest', digest, '-CAfile', rootPem]);
  return { status: r.status, out: r.stdout.toString() + r.stderr.toString() };
}
