/**
 * Verification benchmark: verifyCms (the code behind `verify.cms` and the CLI
 * `verify`) in this process, p50/p99 and verifications per second, over
 * detached CMS made by `openssl cms -sign` (RSA-2048 and P-256, SHA-256) and
 * an SM2 CMS (the assistant's own encoding, signed by openssl), each with its
 * root as trust anchor. The first call is reported apart: it includes loading
 * the ASN.1 libraries.
 *
 *   node bin/run-ts.mjs bench/run.ts verify [--quick]
 */
import { execFile as execFileCb } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { signHash, verifyCms } from '../src-agent/pki/index.js';
import { issueLeaf, makeRoot, openssl } from '../tests/fixtures/openssl-ca.js';
import { formatTable, machineInfo, writeResult } from './lib/report.js';
import { elapsedMs, summarize, type LatencySummary } from './lib/stats.js';

const execFile = promisify(execFileCb);
const ROUNDS = 300;
const QUICK_ROUNDS = 50;
const WARMUP = 5;

interface Case { alg: string; cms: Buffer; hash: Buffer; hashAlgorithm: 'sha256' | 'sm3'; anchor: Buffer }
interface Row extends LatencySummary { alg: string; firstMs: number }

const pemToDer = (pem: string): Buffer => Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');

async function opensslCase(dir: string, alg: 'RSA-2048' | 'P-256'): Promise<Case> {
  const p = alg === 'RSA-2048' ? 'rsa' : 'ec';
  const keygen = alg === 'RSA-2048' ? ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'] : ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'];
  await openssl(['genpkey', ...keygen, '-out', `${p}-root.key`], dir);
  await openssl(['req', '-x509', '-key', `${p}-root.key`, '-subj', `/CN=bench ${p} root`, '-days', '30', '-out', `${p}-root.pem`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  await openssl(['genpkey', ...keygen, '-out', `${p}-leaf.key`], dir);
  await openssl(['req', '-new', '-key', `${p}-leaf.key`, '-subj', `/CN=bench ${p} signer`, '-out', `${p}-leaf.csr`], dir);
  await writeFile(join(dir, `${p}.ext`), 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\n');
  await openssl(['x509', '-req', '-in', `${p}-leaf.csr`, '-CA', `${p}-root.pem`, '-CAkey', `${p}-root.key`, '-set_serial', '0x10', '-days', '30',
    '-extfile', `${p}.ext`, '-out', `${p}-leaf.pem`], dir);
  const content = Buffer.from(`合同正文 ${alg}`);
  await writeFile(join(dir, `${p}.txt`), content);
  await openssl(['cms', '-sign', '-binary', '-md', 'sha256', '-in', `${p}.txt`, '-signer', `${p}-leaf.pem`, '-inkey', `${p}-leaf.key`,
    '-outform', 'DER', '-out', `${p}.p7s`], dir);
  return {
    alg, cms: await readFile(join(dir, `${p}.p7s`)), hash: createHash('sha256').update(content).digest(), hashAlgorithm: 'sha256',
    anchor: pemToDer(await readFile(join(dir, `${p}-root.pem`), 'utf8')),
  };
}

async function sm2Case(dir: string): Promise<Case> {
  await makeRoot(dir, 'SM2', 'sm2-root', '/CN=bench SM2 root');
  await issueLeaf(dir, { kind: 'SM2', root: 'sm2-root', name: 'sm2-leaf', subject: '/CN=bench SM2 signer', ext: 'sign', serial: '0x11' });
  const hash = createHash('sm3').update('合同正文 SM2').digest();
  const { signature } = await signHash({
    certificate: await readFile(join(dir, 'sm2-leaf.cer')), chain: [], hash, hashAlgorithm: 'sm3', format: 'cms',
    sign: async (_mechanism, e) => {
      await writeFile(join(dir, 'e.bin'), e);
      await execFile('openssl', ['pkeyutl', '-sign', '-inkey', 'sm2-leaf.key', '-in', 'e.bin', '-out', 'e.sig'], { cwd: dir });
      return readFile(join(dir, 'e.sig'));
    },
  });
  return { alg: 'SM2', cms: signature, hash, hashAlgorithm: 'sm3', anchor: pemToDer(await readFile(join(dir, 'sm2-root.pem'), 'utf8')) };
}

async function measure(c: Case, rounds: number, first: boolean): Promise<Row> {
  const call = async () => verifyCms({ signature: c.cms, hash: c.hash, hashAlgorithm: c.hashAlgorithm, trustAnchors: [c.anchor], intermediates: [] });
  const t0 = process.hrtime.bigint();
  const r = await call();
  const firstMs = first ? elapsedMs(t0) : Number.NaN;
  if (!r.valid || !r.chainTrusted) throw new Error(`${c.alg}: bench CMS does not verify: ${JSON.stringify(r.problems)}`);
  for (let i = 0; i < WARMUP; i++) await call();
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t = process.hrtime.bigint();
    await call();
    samples.push(elapsedMs(t));
  }
  return { alg: c.alg, firstMs, ...summarize(samples) };
}

/** Entry point for bench/run.ts. */
export async function run(args: string[]): Promise<void> {
  const quick = args.includes('--quick');
  const dir = await mkdtemp(join(tmpdir(), 'bench-verify-'));
  try {
    const cases = [await opensslCase(dir, 'RSA-2048'), await opensslCase(dir, 'P-256'), await sm2Case(dir)];
    const rows: Row[] = [];
    for (const [i, c] of cases.entries()) rows.push(await measure(c, quick ? QUICK_ROUNDS : ROUNDS, i === 0));
    console.log(formatTable(
      ['alg', 'n', 'verifies/s', 'p50 ms', 'p99 ms', 'first call ms'],
      rows.map((r) => [r.alg, String(r.n), r.opsPerSec.toFixed(0), r.p50Ms.toFixed(3), r.p99Ms.toFixed(3), Number.isNaN(r.firstMs) ? '' : r.firstMs.toFixed(1)]),
    ));
    const machine = machineInfo();
    console.log(`\n${machine.cpu}, ${machine.cpus} CPUs, node ${machine.node}, ${machine.date}${quick ? ' (--quick)' : ''}`);
    console.log(`wrote ${await writeResult('verify', { benchmark: 'verify', quick, machine, rows })}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
