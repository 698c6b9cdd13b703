import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { moduleFileKey } from '../../../src-agent/tokens/module-identity.js';
import { loadVendorTable, resolveModules, type Vendor } from '../../../src-agent/tokens/registry.js';

const dir = mkdtempSync(join(tmpdir(), 'ca-module-id-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('moduleFileKey', () => {
  const noLinks = (p: string): string => p;

  it('on Windows, compares paths without regard to case or slash direction', () => {
    const a = moduleFileKey('C:\\Windows\\System32\\WDPKCS.dll', 'win32', noLinks);
    expect(moduleFileKey('c:/windows/system32/wdpkcs.DLL', 'win32', noLinks)).toBe(a);
    expect(moduleFileKey('C:\\Windows\\SysWOW64\\..\\System32\\wdpkcs.dll', 'win32', noLinks)).toBe(a);
    expect(moduleFileKey('C:\\Windows\\SysWOW64\\WDPKCS.dll', 'win32', noLinks)).not.toBe(a);
  });

  it('on Linux, keeps case (two files) and resolves the real file', () => {
    expect(moduleFileKey('/usr/lib/libA.so', 'linux', noLinks)).not.toBe(moduleFileKey('/usr/lib/liba.so', 'linux', noLinks));
    expect(moduleFileKey('/usr/lib/x/../libA.so', 'linux', noLinks)).toBe('/usr/lib/libA.so');
    const real = join(dir, 'real.so');
    writeFileSync(real, 'x');
    symlinkSync(real, join(dir, 'link.so'));
    expect(moduleFileKey(join(dir, 'link.so'), 'linux')).toBe(moduleFileKey(real, 'linux'));
  });

  it('on macOS, folds case (the default file system ignores it)', () => {
    expect(moduleFileKey('/Library/OpenSC/lib/OpenSC-PKCS11.so', 'darwin', noLinks)).toBe(moduleFileKey('/library/opensc/lib/opensc-pkcs11.so', 'darwin', noLinks));
  });
});

describe('resolveModules loads each driver once', () => {
  const lib = join(dir, 'vendor', 'libvendor.so');
  mkdirSync(join(dir, 'vendor'));
  mkdirSync(join(dir, 'other'));
  writeFileSync(lib, 'a vendor library');
  symlinkSync(lib, join(dir, 'vendor-link.so'));
  copyFileSync(lib, join(dir, 'other', 'libvendor.so'));
  writeFileSync(join(dir, 'other', 'different.so'), 'another vendor library');
  const base = loadVendorTable().find((v) => v.id === 'softhsm') as Vendor;
  const vendor: Vendor = { ...base, id: 'test-vendor', modules: { linux: [join(dir, 'missing.so'), lib] }, rescan: 'reinitialize' };
  const vendors = [vendor];

  it('a configured symbolic link to the vendor\'s driver: one entry, which is the vendor\'s', () => {
    const entries = resolveModules([join(dir, 'vendor-link.so')], vendors, false, 'linux');
    expect(entries).toEqual([expect.objectContaining({ path: join(dir, 'vendor-link.so'), source: 'config', vendor, rescan: 'reinitialize' })]);
    expect(entries[0]?.duplicateOf).toBeUndefined();
  });

  it('the same driver configured twice (link and file): the second is a duplicate, not loaded', () => {
    const entries = resolveModules([lib, join(dir, 'vendor-link.so')], vendors, true, 'linux');
    expect(entries.map((e) => e.duplicateOf)).toEqual([undefined, lib]);
  });

  it('a byte-identical copy in another folder is the same driver; a different file is not', () => {
    const copy = join(dir, 'other', 'libvendor.so');
    const entries = resolveModules([copy, join(dir, 'other', 'different.so')], vendors, false, 'linux');
    expect(entries).toHaveLength(2);
    expect(entries[0]).toMatchObject({ path: copy, vendor, rescan: 'reinitialize' });
    expect(entries[1]?.duplicateOf).toBeUndefined();
    const both = resolveModules([lib, copy], vendors, true, 'linux');
    expect(both[1]).toMatchObject({ path: copy, duplicateOf: lib });
  });

  it('an SKF library and a PKCS#11 module of the same file are two drivers', () => {
    const entries = resolveModules([lib, `skf:${lib}`], vendors, true, 'linux');
    expect(entries.map((e) => e.duplicateOf)).toEqual([undefined, undefined]);
  });

  it('discovers the vendor\'s driver once when nothing configured names it', () => {
    const entries = resolveModules([join(dir, 'other', 'different.so')], vendors, false, 'linux');
    expect(entries.map((e) => [e.path, e.source])).toEqual([[join(dir, 'other', 'different.so'), 'config'], [lib, 'vendor']]);
  });
});
