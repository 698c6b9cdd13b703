import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const harness = join(root, 'installers', 'nsis-harness', 'harness.nsi');
const nsh = readFileSync(join(root, 'installers', 'installer.nsh'), 'utf8');
const work = mkdtempSync(join(tmpdir(), 'ca-nsis-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs makensis with electron-builder's own flags (-WX: warnings are errors). */
function makensis(out: string, ...defines: string[]): { status: number | null; output: string } {
  const result = spawnSync('makensis', ['-WX', '-INPUTCHARSET', 'UTF8', `-DOUT_FILE=${out}`, ...defines.map((d) => `-D${d}`), harness], { encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, output: `${result.stdout}\n${result.stderr}` };
}

describe('installers/installer.nsh', () => {
  it('defines the three electron-builder hooks', () => {
    for (const macro of ['customInit', 'customInstall', 'customUnInstall']) expect(nsh).toMatch(new RegExp(`^!macro ${macro}$`, 'm'));
  });

  it('compiles as the installer with makensis, instantiating customInit and customInstall', () => {
    const out = join(work, 'installer.exe');
    const { status, output } = makensis(out);
    expect(output).not.toMatch(/warning/i);
    expect(status, output).toBe(0);
    expect(readFileSync(out).subarray(0, 2).toString('latin1')).toBe('MZ');
  });

  it('compiles as the uninstaller (BUILD_UNINSTALLER), instantiating customUnInstall', () => {
    const out = join(work, 'uninstaller.exe');
    const { status, output } = makensis(out, 'BUILD_UNINSTALLER');
    expect(status, output).toBe(0);
    expect(existsSync(out)).toBe(true);
  });

  it('takes build-time trusted origins from a define', () => {
    const out = join(work, 'origins.exe');
    const { status, output } = makensis(out, 'CA_TRUSTED_ORIGINS=https://mall.example.cn,https://zcy.example.cn');
    expect(status, output).toBe(0);
  });

  it('fails to compile when a macro it calls is broken (the harness really compiles it)', () => {
    const broken = join(work, 'broken.nsi');
    writeFileSync(broken, readFileSync(harness, 'utf8').replace('!insertmacro customInstall', '!insertmacro customInstall\n  Call caNoSuchFunction').replace('${__FILEDIR__}/../installer.nsh', join(root, 'installers', 'installer.nsh')));
    const result = spawnSync('makensis', ['-WX', '-INPUTCHARSET', 'UTF8', `-DOUT_FILE=${join(work, 'b.exe')}`, broken], { encoding: 'utf8' });
    expect(result.status).not.toBe(0);
  });

  it('looks for plugged-in keys by the USB vendor ids of the vendor table', () => {
    const table = JSON.parse(readFileSync(join(root, 'src-agent', 'tokens', 'vendors.json'), 'utf8')) as { vendors: { usb?: { vendorId: number }[] }[] };
    const ids = table.vendors.flatMap((v) => (v.usb ?? []).map((u) => `VID_${u.vendorId.toString(16).toUpperCase().padStart(4, '0')}`));
    const defined = /!define CA_KEY_USB_IDS "([^"]*)"/.exec(nsh)?.[1]?.split('|');
    expect(defined?.sort()).toEqual([...new Set(ids)].sort());
  });

  it('asks to close the browsers and Office programs the manual names', () => {
    const busy = /!define CA_BUSY_PROGRAMS "([^"]*)"/.exec(nsh)?.[1]?.split(' ');
    expect(busy).toEqual(expect.arrayContaining(['chrome.exe', 'msedge.exe', 'firefox.exe', '360se.exe', '360chrome.exe', 'QQBrowser.exe', 'WINWORD.EXE', 'EXCEL.EXE']));
  });
});
