/**
 * Reading the Local Network Access machine policies of Chrome, Edge and Chromium: on Linux
 * from their managed policy folders, on Windows from the registry through {@link RegistryReader}
 * (tests pass a fake one). The installers write both policy names (installers/linux,
 * installers/installer.nsh); either lets a public mall page reach the assistant.
 */
import { execFile } from 'node:child_process';
import { access, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** The policy Chrome/Edge 147+ read, and the newer loopback-only name of later versions. */
export const LNA_POLICIES = ['LocalNetworkAccessAllowedForUrls', 'LoopbackNetworkAllowedForUrls'] as const;
export type LnaPolicyName = (typeof LNA_POLICIES)[number];

/** What one browser's machine policy grants. */
export interface BrowserLnaPolicy {
  id: 'chrome' | 'edge' | 'chromium';
  nameZh: string;
  /** The browser's program was found. */
  installed: boolean;
  /** URL patterns per policy name (empty when the policy is not set). */
  patterns: Record<LnaPolicyName, string[]>;
}

/** Reads the policies of every browser the OS has policy locations for. */
export interface BrowserPolicyReader {
  read(): Promise<BrowserLnaPolicy[]>;
}

/** The registry calls the Windows reader needs (HKLM only). */
export interface RegistryReader {
  /** The string values of a key by name (`''` = default value), or null when the key is missing. */
  values(key: string): Promise<Record<string, string> | null>;
}

interface BrowserPlace {
  id: BrowserLnaPolicy['id'];
  nameZh: string;
  linuxPolicyDir?: string;
  linuxPrograms?: string[];
  windowsPolicyKey?: string;
  /** `App Paths` entry naming the program on Windows. */
  windowsAppPath?: string;
}

const BROWSERS: BrowserPlace[] = [
  { id: 'chrome', nameZh: 'Google Chrome', linuxPolicyDir: '/etc/opt/chrome/policies/managed', linuxPrograms: ['/opt/google/chrome/chrome', '/usr/bin/google-chrome-stable', '/usr/bin/google-chrome'],
    windowsPolicyKey: 'SOFTWARE\\Policies\\Google\\Chrome', windowsAppPath: 'chrome.exe' },
  { id: 'edge', nameZh: 'Microsoft Edge', linuxPolicyDir: '/etc/opt/edge/policies/managed', linuxPrograms: ['/opt/microsoft/msedge/msedge', '/usr/bin/microsoft-edge-stable', '/usr/bin/microsoft-edge'],
    windowsPolicyKey: 'SOFTWARE\\Policies\\Microsoft\\Edge', windowsAppPath: 'msedge.exe' },
  { id: 'chromium', nameZh: 'Chromium', linuxPolicyDir: '/etc/chromium/policies/managed', linuxPrograms: ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/lib/chromium/chromium'] },
];

/** Limits for hostile policy folders: files read per folder, bytes per file. */
const MAX_POLICY_FILES = 64;
const MAX_POLICY_BYTES = 1024 * 1024;

const emptyPatterns = (): Record<LnaPolicyName, string[]> => ({ LocalNetworkAccessAllowedForUrls: [], LoopbackNetworkAllowedForUrls: [] });

/** The string entries of list policies in one parsed policy file (anything else is ignored). */
function collect(policy: unknown, into: Record<LnaPolicyName, string[]>): void {
  if (typeof policy !== 'object' || policy === null || Array.isArray(policy)) return;
  for (const name of LNA_POLICIES) {
    const list = (policy as Record<string, unknown>)[name];
    if (Array.isArray(list)) into[name].push(...list.filter((u): u is string => typeof u === 'string'));
  }
}

/** Linux: every `*.json` in each browser's managed policy folder under `root` (default `/`). */
export function linuxPolicyReader(root = '/'): BrowserPolicyReader {
  return {
    read: async () =>
      Promise.all(BROWSERS.filter((b) => b.linuxPolicyDir).map(async (b) => {
        const dir = join(root, b.linuxPolicyDir as string);
        const patterns = emptyPatterns();
        const files = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.json')).sort().slice(0, MAX_POLICY_FILES);
        for (const file of files) {
          try {
            const text = await readFile(join(dir, file), 'utf8');
            if (text.length <= MAX_POLICY_BYTES) collect(JSON.parse(text), patterns);
          } catch {
            // A broken policy file is the browser's to report (chrome://policy); it grants nothing here.
          }
        }
        const found = await Promise.all((b.linuxPrograms ?? []).map((p) => access(join(root, p)).then(() => true, () => false)));
        return { id: b.id, nameZh: b.nameZh, installed: found.some(Boolean), patterns };
      })),
  };
}

/** Windows: the list policies' values under HKLM, and `App Paths` for whether the browser is installed. */
export function windowsPolicyReader(registry: RegistryReader): BrowserPolicyReader {
  return {
    read: async () =>
      Promise.all(BROWSERS.filter((b) => b.windowsPolicyKey).map(async (b) => {
        const patterns = emptyPatterns();
        for (const name of LNA_POLICIES) {
          const values = await registry.values(`${b.windowsPolicyKey as string}\\${name}`);
          // List policies are values "1", "2", … in order; other names are not part of the list.
          const entries = Object.entries(values ?? {}).filter(([k]) => /^\d+$/.test(k)).sort(([a], [b2]) => Number(a) - Number(b2));
          patterns[name].push(...entries.map(([, v]) => v));
        }
        const app = await registry.values(`SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\App Paths\\${b.windowsAppPath as string}`);
        return { id: b.id, nameZh: b.nameZh, installed: app !== null, patterns };
      })),
  };
}

/** The REG_SZ/REG_EXPAND_SZ values in `reg query` output (`''` = the default value). */
export function parseRegQuery(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of stdout.split(/\r?\n/)) {
    const m = /^ {4}(.+?) {4}REG_(?:EXPAND_)?SZ {4}(.*)$/.exec(line);
    if (m?.[1] !== undefined) out[m[1] === '(Default)' || m[1] === '(默认)' ? '' : m[1]] = m[2] ?? '';
  }
  return out;
}

/** `reg query` on HKLM (64-bit view). */
export const windowsRegistry: RegistryReader = {
  values: async (key) => {
    const r = await exec('reg', ['query', `HKLM\\${key}`, '/reg:64'], { timeout: 3000, windowsHide: true }).catch(() => null);
    return r ? parseRegQuery(r.stdout) : null;
  },
};

/** The reader for this OS, or null where browser policies are not inspected (macOS). */
export function defaultPolicyReader(platform: NodeJS.Platform = process.platform): BrowserPolicyReader | null {
  if (platform === 'linux') return linuxPolicyReader();
  if (platform === 'win32') return windowsPolicyReader(windowsRegistry);
  return null;
}

/** `https://host[:port]` lower-cased, without a default port or trailing slash; null when not such a URL. */
function originOf(url: string): string | null {
  try {
    const u = new URL(url);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') return null;
    return u.origin;
  } catch {
    return null;
  }
}

/**
 * Whether a URL pattern of the policy (Chrome's URL pattern format) covers the origin: `*`, an exact
 * origin (a trailing `/` or path allowed), or `[*.]host` / `host` without scheme (any scheme and port).
 * Other forms are not matched here (they may still work in the browser).
 */
export function patternCovers(pattern: string, origin: string): boolean {
  const p = pattern.trim();
  if (p === '*') return true;
  const target = originOf(origin);
  if (!target) return false;
  if (p.includes('://')) return originOf(p) === target;
  const host = new URL(target).hostname;
  const bare = p.replace(/\/.*$/, '').replace(/:\d+$/, '').toLowerCase();
  if (bare.startsWith('[*.]')) return host === bare.slice(4) || host.endsWith(`.${bare.slice(4)}`);
  return host === bare;
}

/** The policy names of `browser` that grant `origin`. */
export function grantingPolicies(browser: BrowserLnaPolicy, origin: string): LnaPolicyName[] {
  return LNA_POLICIES.filter((name) => browser.patterns[name].some((p) => patternCovers(p, origin)));
}
