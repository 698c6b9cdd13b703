/**
 * Signing benchmark: signatures per second and p50/p99 latency of
 *   raw  — C_SignInit + C_Sign through pkcs11js in this process (the floor),
 *   host — TokenManager.sign: the same raw sign through the agent's token host process,
 *   cms  — SigningService.sign with format 'cms': token host sign plus CMS assembly,
 * on SoftHSM RSA-2048 and P-256 keys and on the software SKF key's SM2 key
 * (native/skf-soft: SKF_ECCSignData, SM3 hashes, raw = the SKF library called in
 * this process). The three variants run interleaved, one call each per round
 * with the order rotating, so machine noise hits them alike.
 *
 *   node bin/run-ts.mjs bench/run.ts sign [--quick]
 */
import { createHash, createPublicKey, randomBytes, verify, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseConfig } from '../src-agent/config.js';
import { readCertParts } from '../src-agent/pki/cert-parts.js';
import { sm2PublicPoint, sm2VerifyDigest } from '../src-agent/pki/sm2.js';
import { startCore, type AgentCore } from '../src-agent/service/agent-core.js';
import { ecdsaRawToDer } from '../src-agent/tokens/ecdsa.js';
import type { SignMechanism } from '../src-agent/tokens/types.js';
import { makeSm2Fixtures, type Sm2Fixtures } from '../tests/fixtures/sm2-fixtures.js';
import { fixtureEnv, withFixtures, type FixtureManifest } from './lib/fixtures.js';
import { RawToken } from './lib/raw-pkcs11.js';
import { RawSkf } from './lib/raw-skf.js';
import { formatTable, machineInfo, writeResult } from './lib/report.js';
import { elapsedMs, summarize, type LatencySummary } from './lib/stats.js';

/** Measured rounds per algorithm; RSA is ~10x slower per op in SoftHSM. */
const ROUNDS = { RSA: 300, EC: 1000, SM2: 1000 } as const;
/** Rounds with `--quick`. */
const QUICK_ROUNDS = { RSA: 30, EC: 100, SM2: 100 } as const;
/** Unrecorded rounds first (JIT, key-handle caches, host start). */
const WARMUP_ROUNDS = 20;
/** The token under test and its user PIN (tests/fixtures/token-specs.ts). */
const TOKEN_LABEL = '供应商';
const SHA256_DIGEST_INFO_PREFIX = Buffer.from('3031300d060960864801650304020105000420', 'hex');

const VARIANTS = ['raw', 'host', 'cms'] as const;
type Variant = (typeof VARIANTS)[number];

interface Target {
  alg: 'RSA-2048' | 'P-256' | 'SM2';
  rounds: number;
  certId: string;
  mechanism: SignMechanism;
  hashAlgorithm: 'sha256' | 'sm3';
  /** The baseline: the key operation with no agent code, over what the token signs. */
  raw: (input: Buffer) => Buffer;
  /** True when `signatureDer` (DER for EC and SM2) signs `message` whose `hash` was signed (for SM2: e = hash, no Z, as the token was given). */
  verify: (message: Buffer, hash: Buffer, signatureDer: Buffer) => boolean;
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
  const sm2 = await makeSm2Fixtures(join(dataDir, '..', 'sm2'));
  // SoftHSM reads this at C_Initialize, skf-soft reads SKF_SOFT_DIR; the raw baselines run in this process.
  process.env.SOFTHSM2_CONF = m.softhsmConf;
  process.env.SKF_SOFT_DIR = sm2.skfDir;
  const raw = new RawToken(m.softhsmModule, token.label, token.userPin);
  const rawSkf = new RawSkf(sm2.moduleSpec.slice('skf:'.length), sm2.device, sm2.application, sm2.userPin, sm2.container);
  const config = parseConfig(JSON.stringify({
    modules: [m.pinGuardModule, sm2.moduleSpec], onlyConfiguredModules: true, trustAnchors: [m.rootCa, sm2.files.root], intermediates: [m.intermediateCa], dataDir,
  }));
  const core = await startCore(config, { hostEnv: { ...fixtureEnv(m), SKF_SOFT_DIR: sm2.skfDir }, pollIntervalMs: 0, logToFile: false });
  try {
    const targets = [...(await softHsmTargets(raw, core, m, token, quick)), await sm2Target(rawSkf, core, sm2, quick)];
    const rows: Row[] = [];
    for (const target of targets) {
      await checkSignatures(core, target);
      rows.push(...(await measure(core, target)));
    }
    return rows;
  } finally {
    raw.close();
    rawSkf.close();
    await core.stop();
  }
}

async function loggedInCerts(core: AgentCore, label: string, pin: string): Promise<Awaited<ReturnType<AgentCore['certs']['list']>>> {
  const tokenId = core.tokens.tokens().find((t) => t.label === label)?.id;
  if (!tokenId) throw new Error(`agent does not see token ${label}`);
  await core.tokens.login(tokenId, Buffer.from(pin));
  return core.certs.list(tokenId);
}

async function softHsmTargets(raw: RawToken, core: AgentCore, m: FixtureManifest, token: FixtureManifest['tokens'][number], quick: boolean): Promise<Target[]> {
  const entries = await loggedInCerts(core, token.label, token.userPin);
  const targets: Target[] = [];
  for (const keyAlgorithm of ['RSA', 'EC'] as const) {
    const cert = token.certs.find((c) => c.keyAlgorithm === keyAlgorithm && c.hasPrivateKey);
    const entry = entries.find((e) => e.token.ckaId === cert?.ckaId);
    if (!cert || !entry) throw new Error(`no ${keyAlgorithm} signing certificate on ${token.label}`);
    const mechanism = keyAlgorithm === 'RSA' ? 'RSA_PKCS' : 'ECDSA';
    const publicKey: KeyObject = createPublicKey(await readFile(join(m.dir, cert.pem)));
    targets.push({
      alg: keyAlgorithm === 'RSA' ? 'RSA-2048' : 'P-256',
      rounds: (quick ? QUICK_ROUNDS : ROUNDS)[keyAlgorithm],
      certId: entry.token.id,
      mechanism,
      hashAlgorithm: 'sha256',
      raw: (input) => {
        const sig = raw.sign(cert.ckaId, mechanism, input);
        return mechanism === 'ECDSA' ? ecdsaRawToDer(sig) : sig;
      },
      verify: (message, _hash, sig) => verify('sha256', message, { key: publicKey, dsaEncoding: 'der' }, sig),
    });
  }
  return targets;
}

async function sm2Target(raw: RawSkf, core: AgentCore, fx: Sm2Fixtures, quick: boolean): Promise<Target> {
  const entries = await loggedInCerts(core, core.tokens.tokens().find((t) => t.module === fx.moduleSpec)?.label ?? '', fx.userPin);
  const entry = entries.find((e) => e.token.der.equals(fx.signCertDer));
  if (!entry) throw new Error('agent does not see the SM2 signing certificate');
  const point = sm2PublicPoint(readCertParts(fx.signCertDer).publicKey.spki);
  return {
    alg: 'SM2',
    rounds: (quick ? QUICK_ROUNDS : ROUNDS).SM2,
    certId: entry.token.id,
    mechanism: 'SM2_SM3',
    hashAlgorithm: 'sm3',
    raw: (e) => ecdsaRawToDer(raw.sign(e)),
    verify: (_message, e, sig) => sm2VerifyDigest(point, e, sig),
  };
}

/** One call of each variant over `hash` (SHA-256, or for SM2 the SM3 hash that also stands in for e). */
function signer(core: AgentCore, t: Target): Record<Variant, (hash: Buffer) => Promise<Buffer>> {
  const input = (hash: Buffer): Buffer => (t.mechanism === 'RSA_PKCS' ? digestInfo(hash) : hash);
  return {
    raw: async (hash) => t.raw(input(hash)),
    host: (hash) => core.tokens.sign(t.certId, t.mechanism, input(hash)),
    cms: async (hash) => (await core.signing.sign({ certId: t.certId, hash, hashAlgorithm: t.hashAlgorithm, format: 'cms' })).signature,
  };
}

const digestInfo = (hash: Buffer): Buffer => Buffer.concat([SHA256_DIGEST_INFO_PREFIX, hash]);

/** Guards against timing a call that does not sign: raw and host signatures must verify. */
async function checkSignatures(core: AgentCore, t: Target): Promise<void> {
  const message = Buffer.from('bench check');
  const hash = createHash(t.hashAlgorithm).update(message).digest();
  const sign = signer(core, t);
  for (const variant of ['raw', 'host'] as const) {
    if (!t.verify(message, hash, await sign[variant](hash))) throw new Error(`${variant} ${t.alg} signature does not verify`);
  }
  if ((await sign.cms(hash)).length === 0) throw new Error(`cms ${t.alg} returned nothing`);
}

async function measure(core: AgentCore, t: Target): Promise<Row[]> {
  const sign = signer(core, t);
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
