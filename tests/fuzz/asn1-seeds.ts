/**
 * Real certificates and CMS the ASN.1 fuzzing mutates: RSA and P-256 made by
 * `openssl` (certificates, `openssl cms -sign` DER, and `-stream` BER with
 * indefinite lengths), SM2 by the openssl CA helper with the assistant's own
 * CMS in both profiles (RFC 5652 and GM/T 0010), signed by openssl.
 */
import { execFile as execFileCb } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { signHash, type CmsProfile, type HashAlgorithm } from '../../src-agent/pki/index.js';
import { issueLeaf, makeRoot, openssl } from '../fixtures/openssl-ca.js';

const execFile = promisify(execFileCb);

/** One seed CMS with what verifies it. */
export interface CmsSeed {
  name: string;
  der: Buffer;
  hash: Buffer;
  hashAlgorithm: HashAlgorithm;
  anchor: Buffer;
}

export interface Asn1Seeds {
  certs: { name: string; der: Buffer }[];
  cms: CmsSeed[];
  /** SubjectPublicKeyInfo of each certificate. */
  spkis: Buffer[];
}

const pemToDer = (pem: string): Buffer => Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');

async function opensslFamily(dir: string, p: 'rsa' | 'ec'): Promise<{ certs: Asn1Seeds['certs']; cms: CmsSeed[] }> {
  const keygen = p === 'rsa' ? ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'] : ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'];
  await openssl(['genpkey', ...keygen, '-out', `${p}-root.key`], dir);
  await openssl(['req', '-x509', '-key', `${p}-root.key`, '-subj', `/C=CN/O=模糊测试/CN=fuzz ${p} 根CA`, '-utf8', '-days', '30', '-out', `${p}-root.pem`,
    '-addext', 'basicConstraints=critical,CA:TRUE,pathlen:1', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  await openssl(['genpkey', ...keygen, '-out', `${p}-leaf.key`], dir);
  await openssl(['req', '-new', '-key', `${p}-leaf.key`, '-utf8', '-subj', `/C=CN/O=某某科技有限公司/CN=fuzz ${p} 签名`, '-out', `${p}.csr`], dir);
  await writeFile(join(dir, `${p}.ext`), [
    'basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature,nonRepudiation', 'subjectKeyIdentifier=hash', 'authorityKeyIdentifier=keyid',
    'extendedKeyUsage=clientAuth,emailProtection', 'crlDistributionPoints=URI:http://crl.example.cn/a.crl',
    'authorityInfoAccess=OCSP;URI:http://ocsp.example.cn,caIssuers;URI:http://ca.example.cn/ca.cer', 'certificatePolicies=1.2.156.1.2.3', 'subjectAltName=email:a@example.cn', '',
  ].join('\n'));
  await openssl(['x509', '-req', '-in', `${p}.csr`, '-CA', `${p}-root.pem`, '-CAkey', `${p}-root.key`, '-set_serial', '0x00a1b2', '-days', '30',
    '-extfile', `${p}.ext`, '-out', `${p}-leaf.pem`], dir);
  const content = Buffer.from(`模糊测试原文 ${p}`);
  await writeFile(join(dir, `${p}.txt`), content);
  const hash = createHash('sha256').update(content).digest();
  const anchor = pemToDer(await readFile(join(dir, `${p}-root.pem`), 'utf8'));
  const cms: CmsSeed[] = [];
  for (const [name, extra] of [[`${p} cms`, []], [`${p} cms BER`, ['-stream']]] as const) {
    await openssl(['cms', '-sign', '-binary', '-md', 'sha256', '-in', `${p}.txt`, '-signer', `${p}-leaf.pem`, '-inkey', `${p}-leaf.key`,
      ...extra, '-outform', 'DER', '-out', `${p}.p7s`], dir);
    cms.push({ name, der: await readFile(join(dir, `${p}.p7s`)), hash, hashAlgorithm: 'sha256', anchor });
  }
  return {
    certs: [{ name: `${p} leaf`, der: pemToDer(await readFile(join(dir, `${p}-leaf.pem`), 'utf8')) }, { name: `${p} root`, der: anchor }],
    cms,
  };
}

async function sm2Family(dir: string): Promise<{ certs: Asn1Seeds['certs']; cms: CmsSeed[] }> {
  await makeRoot(dir, 'SM2', 'sm2-root', '/C=CN/O=模糊测试/CN=fuzz SM2 根CA');
  await issueLeaf(dir, { kind: 'SM2', root: 'sm2-root', name: 'sm2-leaf', subject: '/C=CN/O=某某科技有限公司/CN=fuzz SM2 签名', ext: 'sign', serial: '0x5e2a' });
  const leaf = await readFile(join(dir, 'sm2-leaf.cer'));
  const anchor = pemToDer(await readFile(join(dir, 'sm2-root.pem'), 'utf8'));
  const hash = createHash('sm3').update('模糊测试原文 SM2').digest();
  const cms: CmsSeed[] = [];
  for (const profile of ['cms', 'gmt0010'] as CmsProfile[]) {
    const { signature } = await signHash({
      certificate: leaf, chain: [], hash, hashAlgorithm: 'sm3', format: 'cms', profile,
      sign: async (_mechanism, e) => {
        await writeFile(join(dir, 'e.bin'), e);
        await execFile('openssl', ['pkeyutl', '-sign', '-inkey', 'sm2-leaf.key', '-in', 'e.bin', '-out', 'e.sig'], { cwd: dir });
        return readFile(join(dir, 'e.sig'));
      },
    });
    cms.push({ name: `sm2 ${profile}`, der: signature, hash, hashAlgorithm: 'sm3', anchor });
  }
  return { certs: [{ name: 'sm2 leaf', der: leaf }, { name: 'sm2 root', der: anchor }], cms };
}

/** Makes every seed in a temp dir (removed afterwards). */
export async function makeAsn1Seeds(): Promise<Asn1Seeds> {
  const dir = await mkdtemp(join(tmpdir(), 'ca-assistant-asn1-fuzz-'));
  try {
    const families = [await opensslFamily(dir, 'rsa'), await opensslFamily(dir, 'ec'), await sm2Family(dir)];
    const certs = families.flatMap((f) => f.certs);
    const spkis = await Promise.all(certs.map(async (c, i) => {
      await writeFile(join(dir, `c${i}.der`), c.der);
      const { stdout } = await execFile('openssl', ['x509', '-inform', 'DER', '-in', `c${i}.der`, '-pubkey', '-noout'], { cwd: dir });
      return pemToDer(stdout);
    }));
    return { certs, cms: families.flatMap((f) => f.cms), spkis };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
