/** 环境检测 and the diagnostics report on an SKF (GM/T 0016) device with an SM2 dual-certificate pair. */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runChecks, writeReport } from '../../../src-agent/check/index.js';
import { proveKeyPair } from '../../../src-agent/check/pin-keypair.js';
import type { CheckContext, PinAsk } from '../../../src-agent/check/types.js';
import { parseConfig } from '../../../src-agent/config.js';
import type { CheckReport, CheckResult } from '../../../src-agent/protocol/types.js';
import { startCore, type AgentCore } from '../../../src-agent/service/agent-core.js';
import { createSigning } from '../../../src-agent/service/signing/index.js';
import { ScriptedUi } from '../../../src-agent/ui/scripted-ui.js';
import type { TokenInfo } from '../../../src-agent/tokens/types.js';
import { useSm2Fixtures } from '../../helpers/sm2.js';

const fx = await useSm2Fixtures();
const WRONG_PIN = '86427531';
const DEVICE_LABEL = '国密测试USBKey';

/** A core with only the fixtures' SKF library and the SM2 root as the trust anchor. */
async function startSkfCore(trace = false): Promise<AgentCore> {
  const dataDir = await mkdtemp(join(tmpdir(), 'ca-skf-check-data-'));
  const config = parseConfig(JSON.stringify({ modules: [fx.moduleSpec], onlyConfiguredModules: true, trustAnchors: [fx.files.root], dataDir }));
  return startCore(config, { hostEnv: { SKF_SOFT_DIR: fx.skfDir }, pollIntervalMs: 0, trace, logToFile: false });
}

/** A PIN provider answering `pin` for every token; records the labels asked. */
/** Answers the first ask of each key with `pin`; asked again (after a wrong PIN), the user gives up. */
function pinProvider(pin: string | null): { ask: (t: TokenInfo, a: PinAsk) => Promise<Buffer | null>; asked: string[]; asks: { attempt: number; retriesLeft?: number }[] } {
  const asked: string[] = [];
  const asks: { attempt: number; retriesLeft?: number }[] = [];
  return {
    asked,
    asks,
    ask: async (t, a) => {
      asked.push(t.label);
      asks.push({ attempt: a.attempt, ...(t.pin.retriesLeft !== undefined ? { retriesLeft: t.pin.retriesLeft } : {}) });
      return pin === null || a.attempt > 1 ? null : Buffer.from(pin, 'utf8');
    },
  };
}

function byPrefix(report: CheckReport, prefix: string): CheckResult[] {
  return report.checks.filter((c) => c.id.startsWith(prefix));
}

describe('环境检测 on the SKF device with the right PIN', () => {
  let core: AgentCore;
  let report: CheckReport;
  let paths: { json: string; html: string };
  let signId: string;
  let encId: string;
  const pins = pinProvider(fx.userPin);
  const logins: string[] = [];
  const forCert = (prefix: string, certId: string): CheckResult | undefined => report.checks.find((c) => c.id === `${prefix}:${certId}`);

  beforeAll(async () => {
    core = await startSkfCore(true);
    const certs = await core.certs.list();
    signId = certs.find((c) => c.token.der.equals(fx.signCertDer))?.token.id ?? 'missing signing certificate';
    encId = certs.find((c) => c.token.der.equals(fx.encCertDer))?.token.id ?? 'missing encryption certificate';
    report = await runChecks({ core, port: 9, pin: pins.ask, onLogin: (id) => logins.push(id) });
    paths = await writeReport(await mkdtemp(join(tmpdir(), 'ca-skf-report-')), { core, report, trace: true });
  });
  afterAll(async () => {
    await core?.stop();
  });

  it('loads the SKF module as a driver', () => {
    const d = report.checks.find((c) => c.id === `driver:${fx.moduleSpec}`);
    expect(d?.status).toBe('ok');
    expect(d?.detailZh).toContain('已加载');
  });

  it('lists the SKF device under keys, its PIN state carrying the exact retries SKF reports', () => {
    const present = report.checks.find((c) => c.id === 'keys.present');
    expect(present?.status).toBe('ok');
    expect(present?.detailZh).toContain(`「${DEVICE_LABEL}」`);
    expect(present?.data?.tokens).toEqual([expect.objectContaining({ label: DEVICE_LABEL, model: 'SKF', serial: 'SKF0000000001', manufacturer: 'skf-soft 测试厂商' })]);
    const [state, ...more] = byPrefix(report, 'pin.state:');
    expect(more).toEqual([]);
    expect(state).toMatchObject({ status: 'ok', data: { retriesLeft: fx.maxRetries, locked: false, finalTry: false, countLow: false } });
  });

  it('passes validity, key usage and the SM2 chain of the signing certificate', () => {
    for (const prefix of ['cert.validity', 'cert.usage', 'cert.chain', 'cert.key']) {
      const r = forCert(prefix, signId);
      expect(r, `${prefix} of the signing certificate`).toBeDefined();
      expect(r?.status, `${prefix}: ${r?.detailZh}`).toBe('ok');
    }
    expect(forCert('cert.usage', signId)?.detailZh).toContain('可用于签名');
    expect(forCert('cert.chain', signId)?.data).toMatchObject({ trusted: true, length: 2 });
  });

  it('logs in with the PIN and proves the SM2 key matches the signing certificate by a test signature', () => {
    expect(pins.asked).toEqual([DEVICE_LABEL]);
    const login = byPrefix(report, 'pin.login:');
    expect(login).toEqual([expect.objectContaining({ status: 'ok' })]);
    expect(logins).toHaveLength(1);
    const kp = forCert('keypair', signId);
    expect(kp?.status, kp?.detailZh).toBe('ok');
    expect(kp?.detailZh).toContain('私钥与证书匹配');
  });

  it('the SM2 key-pair proof fails when the certificate is not the key\'s (the encryption certificate\'s public key)', async () => {
    const sign = (await core.certs.list()).find((c) => c.token.id === signId);
    if (!sign) throw new Error('no signing certificate');
    const signing = createSigning(core, { ui: new ScriptedUi() });
    const ctx = { core, signing: () => signing, options: {} } as unknown as CheckContext;
    expect(await proveKeyPair(ctx, sign)).toBe(true);
    expect(await proveKeyPair(ctx, { ...sign, token: { ...sign.token, der: fx.encCertDer } })).toBe(false);
  });

  it('lists the encryption certificate without counting it as a signing failure', () => {
    const mine = report.checks.filter((c) => c.id.endsWith(`:${encId}`));
    expect(mine.map((c) => c.id)).toEqual(expect.arrayContaining([`cert.validity:${encId}`, `cert.usage:${encId}`, `cert.chain:${encId}`]));
    expect(mine.filter((c) => c.status === 'fail' || c.status === 'warn').map((c) => `${c.id} ${c.status} ${c.detailZh}`)).toEqual([]);
    expect(forCert('cert.usage', encId)?.detailZh).toContain('加密证书');
    expect(forCert('cert.chain', encId)?.status).toBe('ok');
    expect(forCert('keypair', encId)?.status).toBe('skipped');
    expect(forCert('cert.key', encId)).toBeUndefined();
    expect(forCert('seal', encId)).toBeUndefined();
  });

  it('finds the seal image of the signing certificate', () => {
    const seal = forCert('seal', signId);
    expect(seal?.status).toBe('ok');
    expect(seal?.detailZh).toMatch(/^PNG 图片可正常读取/);
    expect(seal?.data).toMatchObject({ mime: 'image/png', source: 'token', bytes: fx.sealPng.length });
  });

  it('fails nothing on a healthy SKF key (the service probe aside)', () => {
    const bad = report.checks.filter((c) => c.status === 'fail' && c.id !== 'service.port');
    expect(bad.map((c) => `${c.id} ${c.detailZh}`)).toEqual([]);
  });

  it('writes report.json naming the SKF device, its module and both SM2 certificates', async () => {
    const data = JSON.parse(await readFile(paths.json, 'utf8')) as {
      tokens: { label: string; model: string; serial: string; module: string; pin: { retriesLeft?: number }; certificates: { id: string; keyAlgorithm: string; fingerprintSha256: string; keyUsage: string[]; hasPrivateKey: boolean | null; chainTrusted: boolean; chain: unknown[]; subjectFields: { value: string }[] }[] }[];
      modules: { path: string; loaded: boolean }[];
      trace?: { fn: string; args: string }[];
    };
    expect(data.tokens).toHaveLength(1);
    const token = data.tokens[0];
    expect(token).toMatchObject({ label: DEVICE_LABEL, model: 'SKF', serial: 'SKF0000000001', module: fx.moduleSpec, pin: { retriesLeft: fx.maxRetries } });
    const certs = token?.certificates ?? [];
    expect(certs.map((c) => c.id).sort()).toEqual([signId, encId].sort());
    for (const c of certs) {
      expect(c.keyAlgorithm).toBe('SM2');
      expect(c.chainTrusted).toBe(true);
      expect(c.chain).toHaveLength(1);
      expect(c.subjectFields.map((f) => f.value)).toContain(fx.org.name);
    }
    expect(certs.find((c) => c.id === signId)).toMatchObject({ hasPrivateKey: true, keyUsage: expect.arrayContaining(['digitalSignature']) });
    expect(certs.find((c) => c.id === encId)).toMatchObject({ hasPrivateKey: false, keyUsage: expect.arrayContaining(['keyEncipherment']) });
    expect(data.modules).toEqual([expect.objectContaining({ path: fx.moduleSpec, loaded: true })]);
    const verify = data.trace?.filter((t) => t.fn === 'SKF_VerifyPIN') ?? [];
    expect(verify.length).toBeGreaterThan(0);
    expect(verify.every((t) => t.args.includes('[redacted]'))).toBe(true);
    expect(data.trace?.some((t) => t.fn === 'SKF_ECCSignData')).toBe(true);
  });

  it('writes report.html naming the SKF device and the SM2 certificates', async () => {
    const html = await readFile(paths.html, 'utf8');
    expect(html).toContain(`CA 锁「${DEVICE_LABEL}」`);
    expect(html).toContain('skf-soft 测试厂商 / SKF');
    expect(html).toContain('SKF0000000001');
    expect(html).toContain(`证书：${fx.org.name}`);
    expect(html).toContain('SM2');
    expect(html).toContain('国密互认测试根CA');
    expect(html).toContain('SKF_VerifyPIN');
  });

  it('contains no PIN and no private key', async () => {
    for (const text of [await readFile(paths.json, 'utf8'), await readFile(paths.html, 'utf8')]) {
      expect(text.includes(fx.userPin), 'user PIN in the report').toBe(false);
      expect(text).not.toMatch(/PRIVATE KEY/);
    }
  });
});

describe('环境检测 on the SKF device with a wrong PIN', () => {
  const wrongPins = pinProvider(WRONG_PIN);
  let core: AgentCore;
  let wrong: CheckReport;
  let after: CheckReport;
  let paths: { json: string; html: string };

  beforeAll(async () => {
    core = await startSkfCore();
    wrong = await runChecks({ core, port: 9, pin: wrongPins.ask });
    await core.tokens.refresh();
    after = await runChecks({ core, port: 9, pin: pinProvider(null).ask });
    paths = await writeReport(await mkdtemp(join(tmpdir(), 'ca-skf-report-')), { core, report: wrong });
  });
  afterAll(async () => {
    await core?.stop();
  });

  it('fails the login with the lowered retry count, and signs nothing', () => {
    const [login] = byPrefix(wrong, 'pin.login:');
    expect(login).toMatchObject({ status: 'fail', data: { reason: 'PIN_INCORRECT', retriesLeft: fx.maxRetries - 1 } });
    expect(login?.detailZh).toBe(`PIN 码错误，还剩 ${fx.maxRetries - 1} 次机会（未再输入）`);
    // Asked again in the same way as at sealing, with the count the SKF key reports.
    expect(wrongPins.asks).toEqual([{ attempt: 1, retriesLeft: fx.maxRetries }, { attempt: 2, retriesLeft: fx.maxRetries - 1 }]);
    expect(login?.remedyZh).toContain('连续输错将锁定');
    expect(byPrefix(wrong, 'keypair:')).toEqual([]);
  });

  it('shows the lowered count in the PIN state of the next run', () => {
    const [state] = byPrefix(after, 'pin.state:');
    expect(state).toMatchObject({ status: 'warn', data: { retriesLeft: fx.maxRetries - 1, countLow: true, locked: false } });
    expect(state?.detailZh).toContain(`还剩 ${fx.maxRetries - 1} 次`);
    expect(byPrefix(after, 'pin.login:')).toEqual([expect.objectContaining({ status: 'skipped' })]);
  });

  it('keeps the wrong PIN out of the report', async () => {
    for (const text of [await readFile(paths.json, 'utf8'), await readFile(paths.html, 'utf8')]) {
      expect(text.includes(WRONG_PIN)).toBe(false);
      expect(text.includes(fx.userPin)).toBe(false);
    }
  });
});
