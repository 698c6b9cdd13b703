/** Per-test-file 国密 fixtures on the software SKF key, and a TokenManager serving them. */
import { execFile as execFileCb } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll } from 'vitest';
import { loadVendorTable, resolveModules } from '../../src-agent/tokens/registry.js';
import { TokenManager } from '../../src-agent/tokens/token-manager.js';
import { makeSm2Fixtures, SM2_ID, type Sm2Fixtures } from '../fixtures/sm2-fixtures.js';

const execFile = promisify(execFileCb);

/** Fresh SM2 fixtures in a temp dir, removed after the file's tests (registers `afterAll`). */
export async function useSm2Fixtures(): Promise<Sm2Fixtures> {
  const dir = await mkdtemp(join(tmpdir(), 'ca-assistant-sm2-'));
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  return makeSm2Fixtures(dir);
}

/** A TokenManager loading only the fixtures' SKF library (`skf:` module path), hot-plug polling off. */
export async function startSkfTokens(fx: Sm2Fixtures): Promise<TokenManager> {
  const vendors = loadVendorTable();
  return TokenManager.start({ modules: resolveModules([fx.moduleSpec], vendors, true), vendors, env: { SKF_SOFT_DIR: fx.skfDir }, pollIntervalMs: 0 });
}

/**
 * Verifies an SM2 signature over `message` with the `openssl` CLI (an
 * implementation independent of the assistant's): SM2 with SM3 and Z for `id`.
 */
export async function opensslSm2Verify(certPem: string, message: Buffer, signatureDer: Buffer, id = SM2_ID): Promise<boolean> {
  const dir = await mkdtemp(join(tmpdir(), 'ca-assistant-sm2v-'));
  try {
    await writeFile(join(dir, 'cert.pem'), certPem);
    await writeFile(join(dir, 'msg.bin'), message);
    await writeFile(join(dir, 'sig.der'), signatureDer);
    const { stdout } = await execFile('openssl', ['x509', '-in', 'cert.pem', '-pubkey', '-noout'], { cwd: dir });
    await writeFile(join(dir, 'pub.pem'), stdout);
    await execFile('openssl', [
      'pkeyutl', '-verify', '-pubin', '-inkey', 'pub.pem', '-rawin', '-in', 'msg.bin', '-sigfile', 'sig.der', '-digest', 'sm3', '-pkeyopt', `distid:${id}`,
    ], { cwd: dir });
    return true;
  } catch {
    return false;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `openssl asn1parse` of DER bytes (an independent reading of what the assistant wrote). */
export async function opensslAsn1(der: Buffer): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ca-assistant-asn1-'));
  try {
    await writeFile(join(dir, 'in.der'), der);
    return (await execFile('openssl', ['asn1parse', '-inform', 'DER', '-in', 'in.der'], { cwd: dir })).stdout;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
