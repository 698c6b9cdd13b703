/**
 * Small PKIs made by the `openssl` CLI (an implementation independent of the
 * assistant's) for the path-validation and CMS tests: P-256 keys, any
 * extensions given as openssl config lines, CMS from `openssl cms -sign`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

export interface OsslCert { name: string; der: Buffer; pem: string; key: string }

/** A temp dir for one test file, removed after it (registers `afterAll`). */
export function opensslPki() {
  const dir = mkdtempSync(join(tmpdir(), 'pki-openssl-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let serial = 0x100;
  const run = (args: string[], input?: Buffer): Buffer => execFileSync('openssl', args, { cwd: dir, input, stdio: ['pipe', 'pipe', 'pipe'] });

  /** Issues `name` (CN and file stem), signed by `issuer` (self-signed without one), with extension lines like `basicConstraints=critical,CA:TRUE`. */
  function issue(name: string, ext: string[], issuer?: OsslCert, days = 30): OsslCert {
    const key = `${name}.key`;
    run(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key]);
    run(['req', '-new', '-key', key, '-subj', `/CN=${name}`, '-out', `${name}.csr`]);
    writeFileSync(join(dir, `${name}.ext`), [...ext, ''].join('\n'));
    const signer = issuer ? ['-CA', `${issuer.name}.pem`, '-CAkey', issuer.key] : ['-signkey', key];
    run(['x509', '-req', '-in', `${name}.csr`, ...signer, '-set_serial', String(serial++), '-days', String(days), '-extfile', `${name}.ext`, '-out', `${name}.pem`]);
    const pem = readFileSync(join(dir, `${name}.pem`), 'utf8');
    return { name, pem, key, der: run(['x509', '-in', `${name}.pem`, '-outform', 'DER']) };
  }

  /** A quick self-signed certificate (one openssl call), for padding certificate sets. */
  function selfSigned(name: string): OsslCert {
    const key = `${name}.key`;
    run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-subj', `/CN=${name}`, '-days', '30', '-out', `${name}.pem`]);
    const pem = readFileSync(join(dir, `${name}.pem`), 'utf8');
    return { name, pem, key, der: run(['x509', '-in', `${name}.pem`, '-outform', 'DER']) };
  }

  /**
   * Detached CMS over `content` by `openssl cms -sign` (SHA-256, one SignerInfo
   * per signer), with `extra` certificates added to the certificate set.
   */
  function cms(content: Buffer, signers: OsslCert[], extra: OsslCert[] = [], options: string[] = []): Buffer {
    writeFileSync(join(dir, 'content.bin'), content);
    const certfile = extra.length ? (writeFileSync(join(dir, 'extra.pem'), extra.map((c) => c.pem).join('')), ['-certfile', 'extra.pem']) : [];
    return run(['cms', '-sign', '-binary', '-md', 'sha256', '-in', 'content.bin', ...signers.flatMap((s) => ['-signer', `${s.name}.pem`, '-inkey', s.key]),
      ...certfile, ...options, '-outform', 'DER']);
  }

  return { dir, issue, selfSigned, cms };
}

/** Extension lines of a CA certificate (optionally with pathlen). */
export const CA_EXT = (pathlen?: number): string[] => [
  `basicConstraints=critical,CA:TRUE${pathlen === undefined ? '' : `,pathlen:${pathlen}`}`, 'keyUsage=critical,keyCertSign,cRLSign',
  'subjectKeyIdentifier=hash', 'authorityKeyIdentifier=keyid',
];
/** Extension lines of a document-signing leaf. */
export const LEAF_EXT: string[] = ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature,nonRepudiation', 'subjectKeyIdentifier=hash', 'authorityKeyIdentifier=keyid'];
