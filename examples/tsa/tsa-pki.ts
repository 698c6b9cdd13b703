/**
 * Key material of the test/demo time-stamping authority, made with the `openssl`
 * CLI: a TSA root CA and two TSA certificates (RSA-2048 and EC P-256) carrying the
 * critical extendedKeyUsage id-kp-timeStamping that RFC 3161 requires. OpenSSL 3.0
 * cannot sign SM2 time-stamps, so SM2 seals are time-stamped by these too.
 */
import { execFile as execFileCb } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFile = promisify(execFileCb);

/** Which TSA key signs the tokens. */
export type TsaKeyKind = 'rsa' | 'ec';

/** Files of a TSA made by {@link makeTsaPki}. */
export interface TsaPki {
  dir: string;
  /** The TSA root CA certificate (PEM): what verifiers configure as TSA trust anchor. */
  rootPem: string;
  /** Per key kind: the TSA certificate (PEM) and its private key. */
  signers: Record<TsaKeyKind, { certPem: string; keyPem: string }>;
}

const CNF = `[req]
distinguished_name=dn
string_mask=utf8only
[dn]
[ca]
basicConstraints=critical,CA:TRUE
keyUsage=critical,keyCertSign,cRLSign
subjectKeyIdentifier=hash
[tsa]
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,nonRepudiation
extendedKeyUsage=critical,timeStamping
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
`;

const KEYGEN: Record<TsaKeyKind | 'root', string[]> = {
  root: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
  rsa: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
  ec: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
};

async function openssl(args: string[], cwd: string): Promise<void> {
  await execFile('openssl', args, { cwd });
}

/** The files {@link makeTsaPki} writes into `dir`, whether or not they exist yet. */
export function tsaPkiFiles(dir: string): TsaPki {
  const signer = (k: TsaKeyKind) => ({ certPem: join(dir, `tsa-${k}.pem`), keyPem: join(dir, `tsa-${k}.key`) });
  return { dir, rootPem: join(dir, 'tsa-root.pem'), signers: { rsa: signer('rsa'), ec: signer('ec') } };
}

/**
 * Makes the TSA root and both TSA certificates in `dir` (about a second), or
 * returns the existing ones. `days` sets the TSA certificates' lifetime.
 */
export async function makeTsaPki(dir: string, days = 3650): Promise<TsaPki> {
  const files = tsaPkiFiles(dir);
  if (existsSync(files.signers.ec.certPem)) return files;
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'ca.cnf'), CNF);
  await openssl(['genpkey', ...KEYGEN.root, '-out', 'tsa-root.key'], dir);
  await openssl(['req', '-new', '-x509', '-utf8', '-config', 'ca.cnf', '-key', 'tsa-root.key', '-sha256',
    '-subj', '/C=CN/O=河南省政府采购测试CA中心/CN=测试时间戳根CA', '-days', '7300', '-extensions', 'ca', '-set_serial', '0x7501', '-out', 'tsa-root.pem'], dir);
  for (const [i, kind] of (['rsa', 'ec'] as const).entries()) {
    await openssl(['genpkey', ...KEYGEN[kind], '-out', `tsa-${kind}.key`], dir);
    await openssl(['req', '-new', '-utf8', '-config', 'ca.cnf', '-key', `tsa-${kind}.key`, '-sha256',
      '-subj', `/C=CN/O=河南省政府采购测试CA中心/CN=测试时间戳服务（${kind === 'rsa' ? 'RSA' : 'P-256'}）`, '-out', `tsa-${kind}.csr`], dir);
    await openssl(['x509', '-req', '-in', `tsa-${kind}.csr`, '-sha256', '-CA', 'tsa-root.pem', '-CAkey', 'tsa-root.key',
      '-set_serial', `0x75${i + 10}`, '-days', String(days), '-extfile', 'ca.cnf', '-extensions', 'tsa', '-out', `tsa-${kind}.pem`], dir);
  }
  return files;
}
