import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { moduleFileDigest, moduleFileKey, moduleFileSize } from './module-identity.js';
import { sm2ParamsSchema } from './p11-sm2-schema.js';
import { modulePathOf, providerOf } from './provider.js';
import builtIn from './vendors.json' with { type: 'json' };

const ZH_ERRORS = z.locales.zhCN().localeError;

const vendorSchema = z.object({
  id: z.string().regex(/^[a-z0-9-]{1,40}$/),
  nameZh: z.string().max(100),
  nameEn: z.string().max(100),
  modules: z.partialRecord(z.enum(['linux', 'win32', 'darwin']), z.array(z.string().max(1000)).max(20)),
  usb: z.array(z.strictObject({ vendorId: z.number().int().min(0).max(0xffff), productId: z.number().int().min(0).max(0xffff).optional() })).max(50),
  /** `native`: C_GetSlotList sees new tokens; `reinitialize`: only after C_Finalize/C_Initialize. */
  rescan: z.enum(['native', 'reinitialize']).default('native'),
  /** C_GetInfo manufacturerID prefix, to recognise a module loaded from an unlisted path (or through a wrapper). */
  libraryManufacturer: z.string().max(32).optional(),
  /** Load this vendor's modules automatically when their file exists (default true). */
  discover: z.boolean().default(true),
  /** A driver for many vendors' keys (OpenSC): when another driver reaches the same key, that one is used. */
  generic: z.boolean().default(false),
  /** `pkcs11` (default) or `skf`: the modules are SKF libraries (GM/T 0016), loaded through FFI. */
  provider: z.enum(['pkcs11', 'skf']).default('pkcs11'),
  /** SM2 key type and signing mechanism of this vendor's PKCS#11 modules (see p11-sm2.ts); without it their SM2 certificates cannot sign. */
  sm2: sm2ParamsSchema.optional(),
}).refine((v) => !(v.sm2 && v.provider === 'skf'), { path: ['sm2'], error: 'SKF 厂商不需要 sm2 常量（SKF 接口本身支持 SM2），请删除该项' });
const tableSchema = z.object({ $comment: z.string().optional(), vendors: z.array(vendorSchema).max(500) });

export type Vendor = z.infer<typeof vendorSchema>;

/** A PKCS#11 module or SKF library the agent will try, and where it came from. */
export interface ModuleEntry {
  /** The library file, `skf:`-prefixed for SKF libraries (see provider.ts). */
  path: string;
  source: 'config' | 'vendor';
  vendor?: Vendor;
  rescan: 'native' | 'reinitialize';
  exists: boolean;
  /** Another entry loads the same library file (a link, another spelling, a copy): this one is not loaded. */
  duplicateOf?: string;
}

/** The built-in vendor table, with an extra table file's entries replacing those with the same id. Throws with a Chinese message on a bad file. */
export function loadVendorTable(extraFile?: string): Vendor[] {
  const vendors = new Map(tableSchema.parse(builtIn).vendors.map((v) => [v.id, v]));
  if (extraFile) {
    let parsed;
    try {
      // zod's own messages in Chinese too: support staff read them.
      parsed = tableSchema.safeParse(JSON.parse(readFileSync(extraFile, 'utf8')), { error: ZH_ERRORS });
    } catch (error) {
      throw new Error(`厂商表文件无法读取或不是 JSON：${extraFile}（${(error as Error).message}）`);
    }
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`厂商表文件格式有误：${extraFile}（${issue ? `${issue.path.join('.') || '(顶层)'}：${issue.message}` : ''}）`);
    }
    for (const v of parsed.data.vendors) vendors.set(v.id, v);
  }
  return [...vendors.values()];
}

/** The vendor whose modules report this C_GetInfo manufacturer. */
export function vendorForManufacturer(vendors: Vendor[], manufacturer: string): Vendor | undefined {
  return vendors.find((v) => v.libraryManufacturer && manufacturer.startsWith(v.libraryManufacturer));
}

/** The vendor a USB device belongs to, by vendor id (and product id where the table names one). */
export function vendorForUsb(vendors: Vendor[], vendorId: number, productId: number): Vendor | undefined {
  return vendors.find((v) => v.usb.some((u) => u.vendorId === vendorId && (u.productId === undefined || u.productId === productId)));
}

/** Identity of a module path: its provider and the real library file (see module-identity.ts). */
function identityOf(path: string, platform: NodeJS.Platform): string {
  const { provider, file } = providerOf(path);
  return `${provider}:${moduleFileKey(file, platform)}`;
}

/**
 * The modules to load: configured paths first (reported even when missing, so
 * 环境检测 can name them), then vendor-table modules whose file exists, at most
 * one per vendor. Each driver is loaded once: a path naming a file already
 * listed (a symbolic link, another spelling or case on Windows, an identical
 * copy in another folder) is kept with `duplicateOf` naming the entry that
 * loads it, and a vendor whose driver is already listed is not discovered again.
 */
export function resolveModules(configured: string[], vendors: Vendor[], onlyConfigured: boolean, platform: NodeJS.Platform = process.platform): ModuleEntry[] {
  const os = platform === 'win32' || platform === 'darwin' ? platform : 'linux';
  const listed = vendors.flatMap((v) => (v.modules[os] ?? []).map((m) => ({ vendor: v, id: identityOf(modulePathOf(v.provider, m), platform), path: modulePathOf(v.provider, m) })));
  const byPath = (path: string, id: string): Vendor | undefined => (listed.find((l) => l.path === path) ?? listed.find((l) => l.id === id))?.vendor;
  const entries: (ModuleEntry & { id: string })[] = [];
  const add = (entry: ModuleEntry): void => {
    const id = identityOf(entry.path, platform);
    const same = entries.find((e) => !e.duplicateOf && e.id === id) ?? (entry.exists ? sameBytes(entries, entry.path) : undefined);
    if (same) {
      same.vendor ??= entry.vendor;
      if (entry.vendor && same.rescan === 'native') same.rescan = entry.vendor.rescan;
    }
    entries.push({ ...entry, id, ...(same ? { duplicateOf: same.path } : {}) });
  };
  for (const path of configured) {
    const vendor = byPath(path, identityOf(path, platform));
    add({ path, source: 'config', vendor, rescan: vendor?.rescan ?? 'native', exists: existsSync(providerOf(path).file) });
  }
  if (!onlyConfigured) {
    for (const vendor of vendors) {
      if (!vendor.discover || entries.some((e) => e.vendor === vendor)) continue;
      for (const file of vendor.modules[os] ?? []) {
        const path = modulePathOf(vendor.provider, file);
        if (!existsSync(file)) continue;
        const id = identityOf(path, platform);
        const loaded = entries.find((e) => !e.duplicateOf && e.id === id) ?? sameBytes(entries, path);
        if (loaded) {
          // Configured under another name: that entry is this vendor's driver.
          if (!loaded.vendor) Object.assign(loaded, { vendor, rescan: vendor.rescan });
          break;
        }
        add({ path, source: 'vendor', vendor, rescan: vendor.rescan, exists: true });
        break; // one module per vendor is enough
      }
    }
  }
  return entries.map(({ id: _id, ...entry }) => entry);
}

/** An entry that loads a byte-identical copy of this library (same provider), if any. */
function sameBytes<T extends ModuleEntry>(entries: T[], path: string): T | undefined {
  const { provider, file } = providerOf(path);
  const size = moduleFileSize(file);
  if (size < 0) return undefined;
  let digest: string | undefined;
  for (const e of entries) {
    const other = providerOf(e.path);
    if (e.duplicateOf || !e.exists || other.provider !== provider || moduleFileSize(other.file) !== size) continue;
    digest ??= moduleFileDigest(file);
    if (digest !== undefined && moduleFileDigest(other.file) === digest) return e;
  }
  return undefined;
}
