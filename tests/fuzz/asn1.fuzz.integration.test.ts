/**
 * ASN.1 fuzzing: seeded mutations (tests/fuzz/asn1-mutator.ts) of real
 * certificates and CMS (tests/fuzz/asn1-seeds.ts: RSA, P-256, SM2, BER with
 * indefinite lengths) through every entry point that parses them. Most cases
 * run in process against the functions behind each entry point — the
 * certificate of a token (parseCertificate, as certs.list reads it; the chain
 * builder), certificate files (parseCertificateData), CMS (parseSignedData,
 * verifyCms), SM2 keys — a share goes over the real WebSocket (`verify.cms`)
 * and a few through the CLI `verify`. No crash (only AssistantError thrown,
 * verifyCms never throws), no INTERNAL, no hang (the file's timeout).
 * A failure names the case, replayable from ASN1_FUZZ_SEED and its index.
 */
import { REQUEST_BURST, REQUESTS_PER_SECOND } from '../../src-agent/limits.js';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildChain, parseCertificate, parseCertificateData, parseSignedData, sm2PublicPoint, sm2Verify, summarizeCertificate, verifyCms } from '../../src-agent/pki/index.js';
import { AssistantError } from '../../src-agent/protocol/errors.js';
import { runCli } from '../helpers/cli.js';
import { useFixtures } from '../helpers/fixtures.js';
import { startAgent, TRUSTED_ORIGINS, type Agent } from '../reliability/agent.js';
import { RpcClient, reasonOf } from '../reliability/rpc-client.js';
import { SeededRandom } from '../reliability/seeded-random.js';
import { makeAsn1Seeds, type CmsSeed } from './asn1-seeds.js';
import { ASN1_FUZZ_SEED, mutate } from './asn1-mutator.js';

const CASES = Number(process.env.CA_ASN1_FUZZ_CASES ?? 100_000);
const API_CASES = Math.min(1_000, Math.floor(CASES / 20));
const CLI_CASES = Math.min(10, Math.floor(CASES / 1000));
const IN_PROCESS_CASES = CASES - API_CASES - CLI_CASES;

type Entry = 'certificate' | 'chain' | 'cert-file' | 'cms-parse' | 'verify' | 'sm2-key';
const ENTRIES: [Entry, number][] = [['certificate', 0.25], ['chain', 0.05], ['cert-file', 0.1], ['cms-parse', 0.3], ['verify', 0.15], ['sm2-key', 0.15]];

const fx = await useFixtures();
const seeds = await makeAsn1Seeds();
const all = [...seeds.certs.map((c) => c.der), ...seeds.cms.map((c) => c.der)];
const caseRandom = (index: number) => new SeededRandom((ASN1_FUZZ_SEED + index * 7919) >>> 0);
const pickEntry = (r: SeededRandom): Entry => {
  let x = r.next();
  for (const [e, w] of ENTRIES) if ((x -= w) < 0) return e;
  return 'verify';
};
/** A mutated CMS seed for case `index`. */
function cmsCase(index: number): { seed: CmsSeed; bytes: Buffer; kinds: string[] } {
  const r = caseRandom(index);
  const seed = r.pick(seeds.cms);
  return { seed, ...mutate(r, seed.der, all) };
}

/** Rethrows anything but an AssistantError, naming the case. */
function expectOnlyAssistantErrors(label: string, fn: () => unknown): void {
  try {
    fn();
  } catch (error) {
    if (!AssistantError.is(error)) throw new Error(`${label}: ${String(error)}`, { cause: error });
    expect(error.reason, label).not.toBe('INTERNAL');
  }
}

let agent: Agent;
beforeAll(async () => {
  agent = await startAgent(fx, { pollIntervalMs: 0 });
});
afterAll(async () => agent?.stop());

describe('ASN.1 fuzzing', () => {
  it(`in process: ${IN_PROCESS_CASES} mutated certificates, CMS and keys (seed ${ASN1_FUZZ_SEED}) through every parse function`, { timeout: 1_800_000 }, async () => {
    const counts = new Map<string, number>();
    const spent = new Map<Entry, number>();
    const count = (key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);
    let slowest = { ms: 0, label: '' };
    for (let i = 0; i < IN_PROCESS_CASES; i++) {
      const r = caseRandom(i);
      const entry = pickEntry(r);
      const started = performance.now();
      let label = `case ${i} ${entry}`;
      if (entry === 'verify') {
        const seed = r.pick(seeds.cms);
        const { bytes, kinds } = mutate(r, seed.der, all);
        label += ` ${seed.name} ${kinds.join('+')}`;
        const anchors = r.next() < 0.05 ? [seed.anchor] : [];
        let result;
        try {
          result = await verifyCms({ signature: bytes, hash: seed.hash, hashAlgorithm: seed.hashAlgorithm, trustAnchors: anchors, intermediates: [] });
        } catch (error) {
          throw new Error(`${label}: verifyCms threw ${String(error)}`, { cause: error });
        }
        expect(typeof result.valid, label).toBe('boolean');
        count(`verify:${result.problems[0]?.code ?? 'none'}`);
      } else if (entry === 'sm2-key') {
        const spki = r.pick(seeds.spkis);
        const { bytes } = mutate(r, spki, seeds.spkis);
        expectOnlyAssistantErrors(label, () => sm2PublicPoint(bytes));
        expect(sm2Verify(bytes, Buffer.from('x'), Buffer.from('3006020101020101', 'hex')), label).toBe(false);
        count('sm2-key');
      } else if (entry === 'cms-parse') {
        const seed = r.pick(seeds.cms);
        const { bytes, kinds } = mutate(r, seed.der, all);
        expectOnlyAssistantErrors(`${label} ${seed.name} ${kinds.join('+')}`, () => parseSignedData(bytes));
        count('cms-parse');
      } else {
        const seed = r.pick(seeds.certs);
        const { bytes, kinds } = mutate(r, seed.der, all);
        label += ` ${seed.name} ${kinds.join('+')}`;
        if (entry === 'certificate') expectOnlyAssistantErrors(label, () => summarizeCertificate(parseCertificate(bytes)));
        else if (entry === 'chain') expectOnlyAssistantErrors(label, () => buildChain(bytes, [seeds.certs[1]!.der], seeds.certs.map((c) => c.der)));
        else expectOnlyAssistantErrors(label, () => parseCertificateData(r.next() < 0.5 ? bytes : Buffer.from(`-----BEGIN CERTIFICATE-----\n${bytes.toString('base64')}\n-----END CERTIFICATE-----\n`)));
        count(entry);
      }
      const ms = performance.now() - started;
      spent.set(entry, (spent.get(entry) ?? 0) + ms);
      if (ms > slowest.ms) slowest = { ms, label };
    }
    console.log(`ASN.1 fuzz in process: ${IN_PROCESS_CASES} cases; slowest ${slowest.ms.toFixed(1)} ms (${slowest.label})`);
    console.log(JSON.stringify(Object.fromEntries([...counts].sort())));
    console.log(`ms per entry point: ${JSON.stringify(Object.fromEntries([...spent].map(([k, v]) => [k, Math.round(v)])))}`);
  });

  it(`over the WebSocket: ${API_CASES} mutated CMS to verify.cms, each answered, none INTERNAL`, { timeout: 600_000 }, async () => {
    const client = await RpcClient.open(agent.port, TRUSTED_ORIGINS[0]!);
    const reasons = new Map<string, number>();
    let next = IN_PROCESS_CASES;
    // Stay under the connection's request rate: past it the agent answers BUSY and then closes a flooding connection (issue 15).
    const gapMs = 1000 / (REQUESTS_PER_SECOND * 0.9);
    let slot = Date.now();
    const pace = async (): Promise<void> => {
      slot = Math.max(slot + gapMs, Date.now());
      await new Promise((resolve) => setTimeout(resolve, slot - Date.now()));
    };
    const worker = async () => {
      while (next < IN_PROCESS_CASES + API_CASES) {
        const index = next++;
        await pace();
        const { seed, bytes, kinds } = cmsCase(index);
        const reply = await client.call('verify.cms', { signature: bytes.toString('base64'), hash: seed.hash.toString('base64'), hashAlgorithm: seed.hashAlgorithm });
        const label = `case ${index} ${seed.name} ${kinds.join('+')}`;
        expect(reply.result !== undefined || reply.error !== undefined, label).toBe(true);
        expect(reasonOf(reply), label).not.toBe('INTERNAL');
        const key = reply.error ? `error:${reasonOf(reply)}` : `result:${(reply.result as { problems: { code: string }[] }).problems[0]?.code ?? 'none'}`;
        reasons.set(key, (reasons.get(key) ?? 0) + 1);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    // Still serving: once the connection's request budget has refilled (REQUEST_BURST at REQUESTS_PER_SECOND), hello answers.
    await new Promise((resolve) => setTimeout(resolve, (1000 * REQUEST_BURST) / REQUESTS_PER_SECOND + 500));
    expect((await client.call('system.hello', { client: 'fuzz' })).result).toBeDefined();
    client.close();
    console.log(`ASN.1 fuzz over verify.cms: ${JSON.stringify(Object.fromEntries([...reasons].sort()))}`);
  });

  it(`through the CLI: ${CLI_CASES} mutated CMS files to ca-assistant verify, exit 0 or 1, no crash`, { timeout: 300_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ca-assistant-asn1-cli-'));
    const anchors = await Promise.all(seeds.cms.map(async (s, i) => {
      const file = join(dir, `anchor-${i}.cer`);
      await writeFile(file, s.anchor);
      return file;
    }));
    const config = join(dir, 'config.json');
    await writeFile(config, JSON.stringify({ modules: [], onlyConfiguredModules: true, trustAnchors: [...new Set(anchors)], dataDir: dir }));
    const base = IN_PROCESS_CASES + API_CASES;
    let next = base;
    const worker = async () => {
      while (next < base + CLI_CASES) {
        const index = next++;
        const { seed, bytes, kinds } = cmsCase(index);
        const file = join(dir, `case-${index}.p7s`);
        await writeFile(file, bytes);
        const run = await runCli(['verify', '--in', file, '--hash', seed.hash.toString('hex'), '--alg', seed.hashAlgorithm, '--config', config], {});
        const label = `case ${index} ${seed.name} ${kinds.join('+')}: exit ${run.code} ${run.stderr.slice(0, 300)}`;
        expect([0, 1], label).toContain(run.code);
        expect(run.stdout, label).toMatch(/^签名：(有效|无效)/);
        expect(run.stderr, label).not.toMatch(/INTERNAL|at .*\.(ts|js):\d+/);
      }
    };
    await Promise.all(Array.from({ length: 4 }, worker));
  });
});
