import { providerOf } from './provider.js';
import type { ModuleEntry, Vendor } from './registry.js';
import type { PhysicalKey, TokenInfo } from './types.js';

/** What the ranking needs to know of a module runtime. */
export interface DriverFacts {
  entry: ModuleEntry;
  /** The vendor by path, else by C_GetInfo manufacturer. */
  vendor: Vendor | undefined;
}

/**
 * How much the vendor table prefers a driver for a key; lower is better,
 * compared element by element:
 * 1. a vendor's own driver named by its path in the table (0), a vendor's
 *    driver recognised by its C_GetInfo manufacturer only, i.e. a copy or a
 *    wrapper (1), a generic driver such as OpenSC (2), a driver no vendor knows (3);
 * 2. a PKCS#11 module with the vendor's SM2 constants (0), an SKF library,
 *    which signs SM2 natively (1), a PKCS#11 module without them (2);
 * 3. the vendor's position in the table;
 * 4. the module's position in the load order (configured first).
 */
export function driverRank(driver: DriverFacts, vendors: Vendor[], order: number): number[] {
  const vendor = driver.vendor;
  const tier = !vendor ? 3 : vendor.generic ? 2 : driver.entry.vendor ? 0 : 1;
  const provider = providerOf(driver.entry.path).provider === 'skf' ? 1 : vendor?.sm2 ? 0 : 2;
  const index = vendor ? vendors.indexOf(vendor) : vendors.length;
  return [tier, provider, index < 0 ? vendors.length : index, order];
}

function compareRanks(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Manufacturer + serial: one physical key, whichever driver reports it. Keys without a serial cannot be told apart and stay separate. */
function physicalKeyOf(t: TokenInfo): string | undefined {
  const serial = t.serial.trim();
  return serial === '' ? undefined : `${t.manufacturer.trim()}\0${serial}`;
}

/**
 * Each physical key once: of the tokens two or more drivers report with the
 * same manufacturer and serial, the one on the driver ranked best is kept (in
 * the order tokens came), and every key says which drivers reached it.
 */
export function onePerKey(candidates: { token: TokenInfo; rank: number[] }[]): { tokens: TokenInfo[]; keys: PhysicalKey[] } {
  const groups = new Map<string, { token: TokenInfo; rank: number[] }[]>();
  candidates.forEach((c, i) => {
    const key = physicalKeyOf(c.token) ?? `\u0001${i}`;
    groups.set(key, [...(groups.get(key) ?? []), c]);
  });
  const keptIds = new Set<string>();
  const keys: PhysicalKey[] = [];
  for (const group of groups.values()) {
    const best = group.reduce((a, b) => (compareRanks(b.rank, a.rank) < 0 ? b : a));
    keptIds.add(best.token.id);
    keys.push({
      tokenId: best.token.id, label: best.token.label, manufacturer: best.token.manufacturer, serial: best.token.serial,
      drivers: group.map((c) => ({ module: c.token.module, tokenId: c.token.id, kept: c === best })),
    });
  }
  return { tokens: candidates.map((c) => c.token).filter((t) => keptIds.has(t.id)), keys };
}
