/**
 * Helpers for the Local Network Access tests: a test CA with a server certificate for a
 * non-loopback host name, and Chromium flags that resolve that name to 127.0.0.1, trust the
 * certificate's key, and mark chosen 127.0.0.1 ports as public address space (as a mall on the
 * internet is), leaving the assistant's port loopback.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const LNA_HOST = 'mall.test';

export interface ServerCert { key: Buffer; cert: Buffer; spki: string }

/** A test CA and a server certificate for {@link LNA_HOST} in `work`; `spki` is the leaf key's SHA-256 (base64) Chromium is told to trust. */
export function makeServerCert(work: string): ServerCert {
  const run = (args: string[]): void => void execFileSync('openssl', args, { cwd: work, stdio: 'pipe' });
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=LNA Test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign']);
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', `/CN=${LNA_HOST}`]);
  writeFileSync(join(work, 'leaf.ext'), `subjectAltName=DNS:${LNA_HOST}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`);
  run(['x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'leaf.pem', '-days', '2', '-extfile', 'leaf.ext']);
  const pub = execFileSync('openssl', ['x509', '-in', 'leaf.pem', '-pubkey', '-noout'], { cwd: work });
  const der = execFileSync('openssl', ['pkey', '-pubin', '-outform', 'der'], { input: pub });
  const hash = execFileSync('openssl', ['dgst', '-sha256', '-binary'], { input: der }).toString('base64');
  return { key: readFileSync(join(work, 'leaf.key')), cert: Buffer.concat([readFileSync(join(work, 'leaf.pem')), readFileSync(join(work, 'ca.pem'))]), spki: hash };
}

/** Chromium arguments: the usual test flags plus the name mapping, the trusted key and the public ports. */
export function lnaChromiumArgs(spki: string, publicPorts: (string | number)[]): string[] {
  return ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
    `--host-resolver-rules=MAP ${LNA_HOST} 127.0.0.1`, `--ignore-certificate-errors-spki-list=${spki}`,
    `--ip-address-space-overrides=${publicPorts.map((p) => `127.0.0.1:${p}=public`).join(',')}`];
}
