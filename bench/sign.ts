/**
 * Signing benchmark: signatures per second and p50/p99 latency of
 *   raw  — C_SignInit + C_Sign through pkcs11js in this process (the floor),
 *   host — TokenManager.sign: the same raw sign through the agent's token host process,
 *   cms  — SigningService.sign with format 'cms': token host sign plus CMS assembly,
 * on SoftHSM RSA-2048 and P-256 keys. The three variants run interleaved, one call
 * each per round with the order rotating, so machine noise hits them alike.
 *
 *   node bin/run-ts.mjs bench/run.ts sign [--quick]
 */
import { createHash, createPublicKey, randomBytes, verify, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseConfig } from '../src-agent/config.js';
import { startCore, type AgentCore } from '../src-agent/service/agent-core.js';
import { fixtureEnv, withFixtures, type FixtureManifest } from './lib/fixtures.js';
import { RawToken, type RawMechanism } from './lib/raw-pkcs11.js';
import { formatTable, machineInfo, writeResult } from './lib/report.js';
import { elapsedMs, summarize, type LatencySummary } from './lib/stats.js';

/** Measured rounds per algorithm; RSA is ~10x slower per op in SoftHSM. */
const ROUNDS = { RSA: 300, EC: 1000 } as const;
/** Rounds with `--quick`. */
const QUICK_ROUNDS = { RSA: 30, EC: 100 } as const;
/** Unrecorded rounds first (JIT, key-handle caches, host start). */
const WARMUP_ROUNDS = 20;
/** The token under test and its user PIN (tests/fixtures/token-specs.ts). */
const TOKEN_LABEL = '供应商';
const SHA256_DIGEST_INFO_PREFIX = Buffer.from('3031300d060960864801650304020105000420', 'hex');

const VARIANTS = ['raw', 'host', 'cms'] as const;
type Variant = (typeof VARIANTS)[number];

interface Target {
  alg: 'RSA-2048' | 'P-256';
  rounds: number;
  ckaId: string;
  certId: string;
  mechanism: RawMechanism;
  publicKey: KeyObject;
}

interface Row extends LatencySummary {
  variant: Variant;
  alg: Target['alg'];
  /** Mean latency over raw's mean latency. */
  ratioToRaw: number;
}

/** Entry point for bench/run.ts. */
export async function run(args: string[]): Promise<void> {
  const quick = args.includes('--quick');
  const machine = machineInfo();
  const rows = await withFixtures((m, dataDir) => measureAll(m, dataDir, quick));
  console.log(formatTable(
    ['variant', 'alg', 'n', 'ops/s', 'p50 ms', 'p99 ms', 'vs raw'],
    rows.map((r) => [r.variant, r.alg, String(r.n), r.opsPerSec.toFixed(0), r.p50Ms.toFixed(3), r.p99Ms.toFixed(3), `${r.ratioToRaw.toFixed(2)}x`]),
  ));
  console.log(`\n${machine.cpu}, ${machine.cpus} CPUs, node ${machine.node}, ${machine.date}${quick ? ' (--quick)' : ''}`);
  const file = await writeResult('sign', { benchmark: 'sign', quick, warmupRounds: WARMUP_ROUNDS, machine, rows });
  console.log(`wrote ${file}`);
}

async function measureAll(m: FixtureManifest, dataDir: string, quick: boolean): Promise<Row[]> {
  const token = m.tokens.find((t) => t.label === TOKEN_LABEL);
  if (!token) throw new Error(`fixture token ${TOKEN_LABEL} missing`);
  // SoftHSM reads this at C_Initialize; the raw baseline runs in this process.
  process.env.SOFTHSM2_CONF = m.softhsmConf;
  const raw = new RawToken(m.softhsmModule, token.label, token.userPin);
  const config = parseConfig(JSON.stringify({
    modules: [m.pinGuardModule], onlyConfiguredModules: true, trustAnchors: [m.rootCa], intermediates: [m.intermediateCa], dataDir,
  }));
  const core = await startCore(config, { hostEnv: fixtureEnv(m), pollIntervalMs: 0, logToFile: false });
  try {
    const tokenId = core.tokens.tokens().find((t) => t.label === token.label)?.id;
    if (!tokenId) throw new Error(`agent does not see token ${token.label}`);
    await core.tokens.login(tokenId, Buffer.from(token.userPin));
    const entries = await core.certs.list(tokenId);
    const rows: Row[] = [];
    for (const keyAlgorithm of ['RSA', 'EC'] as const) {
      const cert = token.certs.find((c) => c.keyAlgorithm === keyAlgorithm && c.hasPrivateKey);
      const entry = entries.find((e) => e.token.ckaId === cert?.ckaId);
      if (!cert || !entry) throw new Error(`no ${keyAlgorithm} signing certificate on ${token.label}`);
      const target: Target = {
        alg: keyAlgorithm === 'RSA' ? 'RSA-2048' : 'P-256',
        rounds: (quick ? QUICK_ROUNDS : ROUNDS)[keyAlgorithm],
        ckaId: cert.ckaId,
        certId: entry.token.id,
        mechanism: keyAlgorithm === 'RSA' ? 'RSA_PKCS' : 'ECDSA',
        publicKey: createPublicKey(await readFile(join(m.dir, cert.pem))),
      };
      await checkSignatures(raw, core, target);
      rows.push(...(await measure(raw, core, target)));
    }
    return rows;
  } finally {
    raw.close();
    await core.stop();
  }
}

/** One call of each variant over `hash` (SHA-256). */
function signer(raw: RawToken, core: AgentCore, t: Target): Record<Variant, (hash: Buffer) => Promise<Buffer>> {
  const input = (hash: Buffer): Buffer => (t.mechanism === 'RSA_PKCS' ? Buffer.concat([SHA256_DIGEST_INFO_PREFIX, hash]) : hash);
  return {
    raw: async (hash) => raw.sign(t.ckaId, t.mechanism, input(hash)),
    host: (hash) => core.tokens.sign(t.certId, t.mechanism, input(hash)),
    cms: async (hash) => (await core.signing.sign({ certId: t.certId, hash, hashAlgorithm: 'sha256', format: 'cms' })).signature,
  };
}

/** Guards against timing a call that does not sign: raw and host signatures must verify. */
async function checkSignatures(raw: RawToken, core: AgentCore, t: Target): Promise<void> {
  const message = Buffer.from('bench check');
  const hash = createHash('sha256').update(message).digest();
  const sign = signer(raw, core, t);
  // C_Sign gives ECDSA as r||s; the agent returns DER.
  const checks: [Variant, 'ieee-p1363' | 'der'][] = [['raw', 'ieee-p1363'], ['host', 'der']];
  for (const [variant, dsaEncoding] of checks) {
    const sig = await sign[variant](hash);
    if (!verify('sha256', message, { key: t.publicKey, dsaEncoding }, sig)) throw new Error(`${variant} ${t.alg} signature does not verify`);
  }
  if ((await sign.cms(hash)).length === 0) throw new Error(`cms ${t.alg} returned nothing`);
}

async function measure(raw: RawToken, core: AgentCore, t: Target): Promise<Row[]> {
  const sign = signer(raw, core, t);
  const samples: Record<Variant, number[]> = { raw: [], host: [], cms: [] };
  for (let round = -WARMUP_ROUNDS; round < t.rounds; round++) {
    const hash = randomBytes(32);
    for (let k = 0; k < VARIANTS.length; k++) {
      const variant = VARIANTS[(((round + k) % VARIANTS.length) + VARIANTS.length) % VARIANTS.length]!;
      const start = process.hrtime.bigint();
      await sign[variant](hash);
      if (round >= 0) samples[variant].push(elapsedMs(start));
    }
  }
  const summaries = VARIANTS.map((variant) => ({ variant, ...summarize(samples[variant]) }));
  const rawMean = summaries[0]!.meanMs;
  return summaries.map((s) => ({ ...s, alg: t.alg, ratioToRaw: s.meanMs / rawMean }));
}
