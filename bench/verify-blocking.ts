/**
 * Does verify.cms block other clients? A hostile CMS of as many same-name,
 * same-key-identifier SM2 CA certificates as fit in verify.cms's 48 KiB limit
 * (each a chain candidate costing an SM2 check), sent over and over by one
 * client while another pings (`system.hello`) every millisecond. Reports the
 * ping round trips and the agent's event-loop delay (perf_hooks, in this
 * process: the agent runs here; verify.cms itself runs in the verification
 * child process), for that CMS (over the certificate cap: refused before its
 * certificates are parsed) and for one cut to the cap (parsed; at most
 * MAX_CHAIN_CANDIDATES checks per link). The first call of each case, which
 * may start the verification process, is not measured.
 *
 *   node bin/run-ts.mjs bench/run.ts verify-blocking [--quick]
 */
import { execFile as execFileCb } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { MAX_CMS_CERTIFICATES } from '../src-agent/limits.js';
import { parseCertificate, signHash } from '../src-agent/pki/index.js';
import { MAX_VERIFY_CMS_BASE64 } from '../src-agent/protocol/schemas.js';
import { issueLeaf, makeRoot, openssl, SM2_ID } from '../tests/fixtures/openssl-ca.js';
import { startAgent, TRUSTED_ORIGINS } from '../tests/reliability/agent.js';
import { RpcClient } from '../tests/reliability/rpc-client.js';
import { withFixtures } from './lib/fixtures.js';
import { formatTable, machineInfo, writeResult } from './lib/report.js';
import { summarize } from './lib/stats.js';

const execFile = promisify(execFileCb);

interface Row { case: string; certs: number; base64: number; calls: number; firstProblem: string; verifyP50Ms: number; pingP50Ms: number; pingP99Ms: number; pingMaxMs: number; loopMaxMs: number }

/** The leaf, and `count` self-signed SM2 look-alikes of its issuer (same subject, same subjectKeyIdentifier, other keys). */
async function hostileCms(dir: string, count: number): Promise<{ cms: (n: number) => Promise<Buffer>; hash: Buffer }> {
  await makeRoot(dir, 'SM2', 'root', '/CN=某某CA');
  await issueLeaf(dir, { kind: 'SM2', root: 'root', name: 'leaf', subject: '/CN=签名者', ext: 'sign', serial: '0x42' });
  const leaf = await readFile(join(dir, 'leaf.cer'));
  const ski = parseCertificate(await readFile(join(dir, 'leaf.cer'))).authorityKeyIdentifier!;
  const fakes: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    await openssl(['genpkey', '-algorithm', 'SM2', '-out', `f${i}.key`], dir);
    await openssl(['req', '-new', '-x509', '-key', `f${i}.key`, '-sm3', '-sigopt', `distid:${SM2_ID}`, '-subj', '/CN=某某CA', '-days', '30',
      '-config', 'ca.cnf', '-extensions', 'ca', '-addext', `subjectKeyIdentifier=${ski}`, '-set_serial', String(100 + i), '-outform', 'DER', '-out', `f${i}.cer`], dir);
    fakes.push(await readFile(join(dir, `f${i}.cer`)));
  }
  const hash = createHash('sm3').update('合同').digest();
  const cms = async (n: number) => (await signHash({
    certificate: leaf, chain: fakes.slice(0, n), hash, hashAlgorithm: 'sm3', format: 'cms',
    sign: async (_m, e) => {
      await writeFile(join(dir, 'e.bin'), e);
      await execFile('openssl', ['pkeyutl', '-sign', '-inkey', 'leaf.key', '-in', 'e.bin', '-out', 'e.sig'], { cwd: dir });
      return readFile(join(dir, 'e.sig'));
    },
  })).signature;
  return { cms, hash };
}

async function measure(port: number, label: string, cms: Buffer, hash: Buffer, calls: number, certs: number): Promise<Row> {
  const attacker = await RpcClient.open(port, TRUSTED_ORIGINS[1]!);
  const pinger = await RpcClient.open(port, TRUSTED_ORIGINS[0]!);
  const pings: number[] = [];
  const verifies: number[] = [];
  let first = '';
  let done = false;
  const params = { signature: cms.toString('base64'), hash: hash.toString('base64'), hashAlgorithm: 'sm3' };
  // One unmeasured call first: it starts the verification process.
  if (cms.length > 0) await attacker.call('verify.cms', params, 120_000);
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const pingLoop = (async () => {
    while (!done) {
      const t = process.hrtime.bigint();
      await pinger.call('system.hello', { client: 'ping' });
      pings.push(Number(process.hrtime.bigint() - t) / 1e6);
      await new Promise((r) => setTimeout(r, 1));
    }
  })();
  for (let i = 0; i < calls; i++) {
    if (cms.length === 0) {
      await new Promise((r) => setTimeout(r, 50)); // the baseline: pings alone
      continue;
    }
    const t = process.hrtime.bigint();
    const reply = await attacker.call('verify.cms', params, 120_000);
    verifies.push(Number(process.hrtime.bigint() - t) / 1e6);
    first ||= reply.error ? `error ${reply.error.data?.reason}` : ((reply.result as { problems: { code: string }[] }).problems[0]?.code ?? 'none');
  }
  done = true;
  await pingLoop;
  loop.disable();
  attacker.close();
  pinger.close();
  const p = summarize(pings);
  return {
    case: label, certs, base64: params.signature.length, calls, firstProblem: first, verifyP50Ms: verifies.length ? summarize(verifies).p50Ms : 0,
    pingP50Ms: p.p50Ms, pingP99Ms: p.p99Ms, pingMaxMs: Math.max(...pings), loopMaxMs: loop.max / 1e6,
  };
}

/** Entry point for bench/run.ts. */
export async function run(args: string[]): Promise<void> {
  const quick = args.includes('--quick');
  const calls = quick ? 5 : 20;
  const dir = await mkdtemp(join(tmpdir(), 'bench-verify-block-'));
  try {
    const { cms, hash } = await hostileCms(dir, 110);
    // As many look-alikes as fit in verify.cms's limit.
    let n = 110;
    while ((await cms(n)).toString('base64').length > MAX_VERIFY_CMS_BASE64) n -= 5;
    const rows = await withFixtures(async (fx) => {
      const agent = await startAgent(fx, { pollIntervalMs: 0 });
      try {
        return [
          await measure(agent.port, 'none (pings alone, the noise floor)', Buffer.alloc(0), hash, calls, 0),
          await measure(agent.port, `${n} look-alike CAs (over the cap)`, await cms(n), hash, calls, n + 1),
          await measure(agent.port, `${MAX_CMS_CERTIFICATES - 1} look-alike CAs (at the cap)`, await cms(MAX_CMS_CERTIFICATES - 1), hash, calls, MAX_CMS_CERTIFICATES),
        ];
      } finally {
        await agent.stop();
      }
    });
    console.log(formatTable(
      ['CMS', 'certs', 'base64 B', 'calls', 'result', 'verify p50 ms', 'ping p50', 'ping p99', 'ping max', 'loop max ms'],
      rows.map((r) => [r.case, String(r.certs), String(r.base64), String(r.calls), r.firstProblem, r.verifyP50Ms.toFixed(1), r.pingP50Ms.toFixed(2), r.pingP99Ms.toFixed(2), r.pingMaxMs.toFixed(1), r.loopMaxMs.toFixed(1)]),
    ));
    const machine = machineInfo();
    console.log(`\n${machine.cpu}, ${machine.cpus} CPUs, node ${machine.node}, ${machine.date}${quick ? ' (--quick)' : ''}`);
    console.log(`wrote ${await writeResult('verify-blocking', { benchmark: 'verify-blocking', quick, machine, rows })}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
