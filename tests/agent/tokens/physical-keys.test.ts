import { describe, expect, it } from 'vitest';
import { driverRank, onePerKey } from '../../../src-agent/tokens/physical-keys.js';
import { loadVendorTable, type ModuleEntry, type Vendor } from '../../../src-agent/tokens/registry.js';
import type { TokenInfo } from '../../../src-agent/tokens/types.js';

const vendors = loadVendorTable();
const byId = (id: string): Vendor => vendors.find((v) => v.id === id) as Vendor;
const entry = (path: string, vendor?: Vendor): ModuleEntry => ({ path, source: 'config', vendor, rescan: 'native', exists: true });
const token = (id: string, module: string, serial = 'SN1', manufacturer = 'Feitian'): TokenInfo => ({
  id, label: 'key', manufacturer, model: 'm', serial, module, slotId: '1', loggedIn: false,
  pin: { minLength: 4, maxLength: 16, protectedAuthPath: false, countLow: false, finalTry: false, locked: false, toBeChanged: false },
});

describe('driverRank', () => {
  it('prefers the vendor\'s own driver, then a recognised wrapper, then a generic driver, then an unknown one', () => {
    const own = driverRank({ entry: entry('/a', byId('feitian')), vendor: byId('feitian') }, vendors, 3);
    const wrapper = driverRank({ entry: entry('/b'), vendor: byId('feitian') }, vendors, 0);
    const generic = driverRank({ entry: entry('/c', byId('opensc')), vendor: byId('opensc') }, vendors, 0);
    const unknown = driverRank({ entry: entry('/d'), vendor: undefined }, vendors, 0);
    const sorted = [unknown, generic, wrapper, own].sort((a, b) => a[0]! - b[0]!);
    expect(sorted).toEqual([own, wrapper, generic, unknown]);
  });

  it('for one vendor, prefers a PKCS#11 module with SM2 constants, then SKF, then PKCS#11 without them', () => {
    const withSm2: Vendor = { ...byId('feitian'), sm2: { keyType: '0x80000004', signMechanism: '0x80008104', signatureFormat: 'der', input: 'e', curveOid: '1.2.156.10197.1.301' } as Vendor['sm2'] };
    expect(driverRank({ entry: entry('/a', withSm2), vendor: withSm2 }, vendors, 0)[1]).toBe(0);
    expect(driverRank({ entry: entry('skf:/a', byId('feitian')), vendor: byId('feitian') }, vendors, 0)[1]).toBe(1);
    expect(driverRank({ entry: entry('/a', byId('feitian')), vendor: byId('feitian') }, vendors, 0)[1]).toBe(2);
  });
});

describe('onePerKey', () => {
  it('lists a key reached by two drivers once, through the better-ranked one, and says which drivers reached it', () => {
    const { tokens, keys } = onePerKey([
      { token: token('t-generic', '/opensc.so'), rank: [2, 2, 1, 0] },
      { token: token('t-own', '/vendor.so'), rank: [0, 2, 2, 1] },
      { token: token('t-other', '/vendor.so', 'SN2'), rank: [0, 2, 2, 1] },
    ]);
    expect(tokens.map((t) => t.id)).toEqual(['t-own', 't-other']);
    expect(keys[0]).toMatchObject({ tokenId: 't-own', serial: 'SN1', drivers: [{ module: '/opensc.so', tokenId: 't-generic', kept: false }, { module: '/vendor.so', tokenId: 't-own', kept: true }] });
    expect(keys[1]?.drivers).toHaveLength(1);
  });

  it('keeps apart keys with the same serial from two manufacturers, and keys without a serial', () => {
    const { tokens } = onePerKey([
      { token: token('a', '/x', 'SN1', 'Feitian'), rank: [0] },
      { token: token('b', '/y', 'SN1', 'WatchData'), rank: [0] },
      { token: token('c', '/x', ''), rank: [0] },
      { token: token('d', '/y', '  '), rank: [0] },
    ]);
    expect(tokens.map((t) => t.id)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('ignores the padding PKCS#11 leaves around manufacturer and serial', () => {
    const { tokens } = onePerKey([
      { token: token('a', '/x', 'SN1 ', 'Feitian   '), rank: [1] },
      { token: token('b', '/y', 'SN1', 'Feitian'), rank: [0] },
    ]);
    expect(tokens.map((t) => t.id)).toEqual(['b']);
  });
});
