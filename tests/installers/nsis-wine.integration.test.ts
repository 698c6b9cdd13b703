/**
 * The Windows installer logic (installers/installer.nsh in the NSIS harness) executed under Wine:
 * install, upgrade, coexistence with other vendors' policy values, uninstall, and the manual's
 * pre-install check of running browsers/Office. One prefix for the file; the tests run in order
 * and each ends uninstalled, so the next starts from the state the first one found.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWinePrefix, regKey, type Registry, type WinePrefix } from './wine.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const harness = join(root, 'installers', 'nsis-harness', 'harness.nsi');
const POLICY_KEYS = [
  'HKLM\\Software\\Policies\\Google\\Chrome\\LocalNetworkAccessAllowedForUrls',
  'HKLM\\Software\\Policies\\Google\\Chrome\\LoopbackNetworkAllowedForUrls',
  'HKLM\\Software\\Policies\\Microsoft\\Edge\\LocalNetworkAccessAllowedForUrls',
  'HKLM\\Software\\Policies\\Microsoft\\Edge\\LoopbackNetworkAllowedForUrls',
];
const RUN_KEY = 'HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Run';
const EXE = 'C:\\Program Files\\互认助手\\互认助手.exe';
const CHECK_LOG = 'C:\\ca-check.log';
const MACHINE_CONFIG = 'C:\\ProgramData\\ca-assistant\\config.json';

const work = mkdtempSync(join(tmpdir(), 'ca-wine-build-'));
let wine: WinePrefix;
const exe = { plain: '', built: '', uninstaller: '', sleeper: '' };

/** makensis with electron-builder's flags; the result's Windows path (Z: is / in Wine). */
function build(name: string, script: string, ...defines: string[]): string {
  const out = join(work, name);
  const r = spawnSync('makensis', ['-WX', '-INPUTCHARSET', 'UTF8', `-DOUT_FILE=${out}`, ...defines.map((d) => `-D${d}`), script], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`makensis ${name}: ${r.stdout}${r.stderr}`);
  return `Z:${out.replaceAll('/', '\\')}`;
}

beforeAll(async () => {
  exe.plain = build('inst.exe', harness, `CA_CHECK_LOG=${CHECK_LOG}`);
  exe.built = build('inst-built.exe', harness, 'CA_TRUSTED_ORIGINS=https://built.example.cn');
  exe.uninstaller = build('uninst.exe', harness, 'BUILD_UNINSTALLER');
  // "Any small Windows executable" to run under a browser's or Office's name.
  writeFileSync(join(work, 'sleeper.nsi'), 'Unicode true\nOutFile "${OUT_FILE}"\nSilentInstall silent\nRequestExecutionLevel user\nSection\n  Sleep 120000\nSectionEnd\n');
  exe.sleeper = build('sleeper.exe', join(work, 'sleeper.nsi'));
  wine = await createWinePrefix();
}, 240_000);

afterAll(async () => {
  await wine?.close();
  rmSync(work, { recursive: true, force: true });
});

const install = (exePath: string, ...args: string[]): number | null => wine.run(exePath, args).status;
/**
 * The harness uninstaller build writes $INSTDIR\uninstall.exe, whose section is customUnInstall. NSIS runs an
 * uninstaller from a copy with `_?=<dir>`; the test makes the copy itself (in a folder without spaces, which
 * Wine would quote) so that the run is synchronous.
 */
function uninstall(...args: string[]): void {
  expect(wine.run(exe.uninstaller, ['/S']).status).toBe(0);
  mkdirSync(wine.drive('C:\\ca-uninst'), { recursive: true });
  copyFileSync(wine.drive('C:\\Program Files\\互认助手\\uninstall.exe'), wine.drive('C:\\ca-uninst\\uninstall.exe'));
  expect(wine.run('C:\\ca-uninst\\uninstall.exe', ['/S', ...args, '_?=C:\\ca-uninst']).status).toBe(0);
}
/** Our keys (the policies, or all of them), read while Wine runs. */
const ours = (all = false): Registry => wine.keys('HKLM\\Software\\Policies', ...(all ? ['HKLM\\Software\\ca-assistant', RUN_KEY] : []));
const values = (reg: Registry, key: string): Record<string, string> => Object.fromEntries(regKey(reg, key) ?? []);
const machineConfig = (): unknown => JSON.parse(readFileSync(wine.drive(MACHINE_CONFIG), 'utf8'));
const userData = (): string => wine.drive(`C:\\users\\${userInfo().username}\\AppData\\Roaming\\ca-assistant`);

/**
 * Keys Wine itself rewrites while programs run (network cards, device classes, session manager), and the
 * `Software\Policies` and `Software\Policies\Microsoft` parents every Windows has but a new Wine prefix lacks.
 */
const NOT_OURS = [/^software\\microsoft\\windows nt\\currentversion\\networkcards/, /^system\\currentcontrolset\\control\\(class\\|session manager$)/, /^software\\policies(\\microsoft)?$/];

/** The registry as `key → values` text for comparing, without Wine's own keys. */
function snapshot(reg: Registry): Map<string, string> {
  return new Map([...reg].filter(([key]) => !NOT_OURS.some((re) => re.test(key))).map(([key, vals]) => [key, JSON.stringify([...vals].sort())]));
}

// Wine starts slowly on a busy machine (each step is a new Windows process); the steps themselves are quick.
describe('installers/installer.nsh under Wine', { timeout: 300_000 }, () => {
  let before: Map<string, string>;

  it('install writes both policy names for Chrome and Edge, the machine config, the Run key and the ca-assistant:// handler', () => {
    before = snapshot(wine.registry());
    expect(install(exe.plain, '/S', '/ORIGINS=https://mall.example.cn,https://zcy.example.cn:8443')).toBe(0);
    const reg = wine.registry();
    for (const key of POLICY_KEYS) expect(values(reg, key), key).toEqual({ 1: 'https://mall.example.cn', 2: 'https://zcy.example.cn:8443' });
    expect(machineConfig()).toEqual({ trustedOrigins: ['https://mall.example.cn', 'https://zcy.example.cn:8443'] });
    expect(values(reg, 'HKLM\\Software\\ca-assistant')).toEqual({ TrustedOrigins: 'https://mall.example.cn,https://zcy.example.cn:8443' });
    expect(values(reg, RUN_KEY).CaAssistant).toBe(`"${EXE}" --hidden`);
    expect(values(reg, 'HKLM\\Software\\Classes\\ca-assistant')).toEqual({ '@': 'URL:互认助手', 'URL Protocol': '' });
    // "--" ends the switches: a crafted link cannot hand Chromium flags to the app.
    expect(values(reg, 'HKLM\\Software\\Classes\\ca-assistant\\shell\\open\\command')).toEqual({ '@': `"${EXE}" -- "%1"` });
    expect(values(reg, 'HKLM\\Software\\Classes\\ca-assistant\\DefaultIcon')).toEqual({ '@': `"${EXE}",0` });
  });

  it('installing twice (an upgrade) adds no duplicate policy values', () => {
    expect(install(exe.plain, '/S')).toBe(0);
    const reg = ours();
    for (const key of POLICY_KEYS) expect(Object.keys(values(reg, key)), key).toEqual(['1', '2']);
  });

  it('uninstall removes exactly what install added and keeps the user\'s data', () => {
    mkdirSync(userData(), { recursive: true });
    writeFileSync(join(userData(), 'audit.jsonl'), '{}\n');
    uninstall();
    const after = snapshot(wine.registry());
    const changed = [...new Set([...before.keys(), ...after.keys()])].filter((k) => before.get(k) !== after.get(k));
    expect(changed).toEqual([]);
    expect(existsSync(wine.drive(MACHINE_CONFIG))).toBe(false);
    expect(existsSync(wine.drive('C:\\ProgramData\\ca-assistant'))).toBe(false);
    expect(existsSync(join(userData(), 'audit.jsonl'))).toBe(true);
  });

  it('/DELETEDATA also removes the user\'s data', () => {
    expect(install(exe.plain, '/S', '/ORIGINS=https://mall.example.cn')).toBe(0);
    uninstall('/DELETEDATA');
    expect(existsSync(userData())).toBe(false);
  });

  it('takes the origins from /ORIGINS=, then the build define, then the previous installation', () => {
    const origins = (): unknown => values(ours(), POLICY_KEYS[0] as string);
    expect(install(exe.built, '/S')).toBe(0);
    expect(origins()).toEqual({ 1: 'https://built.example.cn' });
    expect(install(exe.built, '/S', '/ORIGINS=https://param.example.cn')).toBe(0);
    expect(machineConfig()).toEqual({ trustedOrigins: ['https://param.example.cn'] });
    expect(origins()).toEqual({ 1: 'https://param.example.cn' });
    expect(install(exe.plain, '/S')).toBe(0);
    expect(machineConfig()).toEqual({ trustedOrigins: ['https://param.example.cn'] });
    expect(install(exe.built, '/S')).toBe(0);
    expect(machineConfig()).toEqual({ trustedOrigins: ['https://built.example.cn'] });
    // The origin the new list dropped is no longer allowed.
    expect(origins()).toEqual({ 1: 'https://built.example.cn' });
    uninstall();
    for (const key of POLICY_KEYS) expect(regKey(ours(), key), key).toBeUndefined();
  });

  it('skips origins that are not https (http only for loopback) or carry a backslash or quote', () => {
    expect(install(exe.plain, '/S', '/ORIGINS=http://evil.example,https://a\\b.example,ftp://x.example,http://127.0.0.1:8080,https://ok.example.cn')).toBe(0);
    expect(machineConfig()).toEqual({ trustedOrigins: ['http://127.0.0.1:8080', 'https://ok.example.cn'] });
    expect(values(ours(), POLICY_KEYS[3] as string)).toEqual({ 1: 'http://127.0.0.1:8080', 2: 'https://ok.example.cn' });
    uninstall();
  });

  it('keeps another vendor\'s policy value through install and uninstall; ours take the next free indexes', () => {
    const regFile = join(work, 'other-vendor.reg');
    writeFileSync(regFile, `Windows Registry Editor Version 5.00\r\n\r\n${POLICY_KEYS.map((k) => `[${k.replace('HKLM', 'HKEY_LOCAL_MACHINE')}]\r\n"1"="https://other-vendor.example"\r\n`).join('\r\n')}`);
    expect(wine.run('reg', ['import', `Z:${regFile.replaceAll('/', '\\')}`, '/reg:64']).status).toBe(0);
    expect(install(exe.plain, '/S', '/ORIGINS=https://mall.example.cn')).toBe(0);
    expect(install(exe.plain, '/S')).toBe(0);
    for (const key of POLICY_KEYS) expect(values(ours(), key), key).toEqual({ 1: 'https://other-vendor.example', 2: 'https://mall.example.cn' });
    uninstall();
    for (const key of POLICY_KEYS) expect(values(ours(), key), key).toEqual({ 1: 'https://other-vendor.example' });
  });

  it('an update (--updated, electron-builder runs the old uninstaller first) keeps the machine settings', () => {
    expect(install(exe.plain, '/S', '/ORIGINS=https://mall.example.cn')).toBe(0);
    uninstall('--updated');
    const reg = ours(true);
    expect(values(reg, POLICY_KEYS[1] as string)).toEqual({ 1: 'https://other-vendor.example', 2: 'https://mall.example.cn' });
    expect(values(reg, RUN_KEY).CaAssistant).toBeDefined();
    expect(existsSync(wine.drive(MACHINE_CONFIG))).toBe(true);
    uninstall();
  });

  it('interactive install reports running browsers and Office by name and stops; a silent one skips the check', async () => {
    for (const name of ['chrome.exe', 'WINWORD.EXE', 'notes.exe']) {
      writeFileSync(wine.drive(`C:\\${name}`), readFileSync(join(work, 'sleeper.exe')));
      wine.start(`C:\\${name}`);
    }
    await new Promise((r) => setTimeout(r, 1500));
    rmSync(wine.drive(CHECK_LOG), { force: true });
    rmSync(wine.drive(MACHINE_CONFIG), { force: true }); // not left over from an earlier test
    // CA_CHECK_LOG (harness build) writes what the check found instead of showing the retry box, then quits as 取消 would.
    expect(install(exe.plain, '/ORIGINS=https://mall.example.cn')).not.toBe(0);
    expect(readFileSync(wine.drive(CHECK_LOG), 'latin1').trim()).toBe('running: chrome.exe WINWORD.EXE');
    expect(existsSync(wine.drive(MACHINE_CONFIG))).toBe(false);
    rmSync(wine.drive(CHECK_LOG));
    expect(install(exe.plain, '/S', '/ORIGINS=https://mall.example.cn')).toBe(0);
    expect(existsSync(wine.drive(CHECK_LOG))).toBe(false);
    expect(existsSync(wine.drive(MACHINE_CONFIG))).toBe(true);
  });

  it('the USB key check cannot run under Wine: its powershell.exe ignores the script (real Windows only)', () => {
    // caKeyPluggedIn asks PowerShell for Win32_PnPEntity devices with the vendor table's USB ids and counts
    // only the answer CA-KEY-PRESENT. Wine's powershell.exe is a stub: it exits 0 for any script and prints
    // nothing, so under Wine the check always reads "no key". docs/installers.md lists it for real Windows.
    const stub = wine.run('C:\\windows\\system32\\WindowsPowerShell\\v1.0\\powershell.exe', ['-NoProfile', '-NonInteractive', '-C', "'CA-KEY-PRESENT'; exit 1"]);
    expect(stub.status).toBe(0);
    expect(stub.output).not.toContain('CA-KEY-PRESENT');
  });
});
