import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, win32 } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadVendorTable, resolveModules, vendorForManufacturer, vendorForUsb } from '../../../src-agent/tokens/registry.js';

const dir = mkdtempSync(join(tmpdir(), 'ca-registry-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the built-in vendor table', () => {
  const vendors = loadVendorTable();

  it('has unique ids and absolute module paths (discovery checks that the file exists)', () => {
    expect(new Set(vendors.map((v) => v.id)).size).toBe(vendors.length);
    for (const v of vendors) {
      for (const [os, files] of Object.entries(v.modules)) {
        for (const file of files ?? []) expect(os === 'win32' ? win32.isAbsolute(file) : isAbsolute(file), `${v.id} ${file}`).toBe(true);
      }
    }
  });

  it('lists SKF libraries of 国密 keys as provider "skf", and finds them by USB id', () => {
    const skf = vendors.filter((v) => v.provider === 'skf').map((v) => v.id);
    expect(skf).toEqual(expect.arrayContaining(['longmai-skf', 'haitai-skf']));
    expect(vendorForUsb(vendors, 0x055c, 0xe618)?.id).toBe('longmai-skf');
    expect(vendorForUsb(vendors, 0x096e, 1)?.id).toBe('feitian');
    expect(vendorForUsb(vendors, 0xffff, 1)).toBeUndefined();
  });

  it('recognises a module by its C_GetInfo manufacturer', () => {
    expect(vendorForManufacturer(vendors, 'SoftHSM project')?.id).toBe('softhsm');
    expect(vendorForManufacturer(vendors, 'Unknown Vendor')).toBeUndefined();
  });
});

describe('resolveModules', () => {
  const lib = join(dir, 'libvendor-skf.so');
  writeFileSync(lib, '');
  const table = join(dir, 'vendors.json');
  writeFileSync(table, JSON.stringify({
    vendors: [{ id: 'test-skf', nameZh: '测试 SKF', nameEn: 'test SKF', provider: 'skf', modules: { linux: [join(dir, 'missing.so'), lib] }, usb: [] }],
  }));
  const vendors = loadVendorTable(table);

  it('finds an SKF vendor\'s library that exists and names it skf:<path>', () => {
    const found = resolveModules([], vendors, false, 'linux').find((m) => m.vendor?.id === 'test-skf');
    expect(found).toMatchObject({ path: `skf:${lib}`, source: 'vendor', exists: true, rescan: 'native' });
  });

  it('reports a configured module that is missing, and loads only configured ones when asked', () => {
    const missing = join(dir, 'nope.so');
    const entries = resolveModules([missing, `skf:${lib}`], vendors, true, 'linux');
    expect(entries).toEqual([
      expect.objectContaining({ path: missing, source: 'config', exists: false }),
      expect.objectContaining({ path: `skf:${lib}`, source: 'config', exists: true, vendor: expect.objectContaining({ id: 'test-skf' }) }),
    ]);
  });
});
