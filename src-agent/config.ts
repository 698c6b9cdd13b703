import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { DEFAULT_PIN_REUSE_MINUTES, MAX_CONFIG_BYTES, MAX_PIN_REUSE_MINUTES, TIMESTAMP_TIMEOUT_MS } from './limits.js';
import { modulePathOf, providerOf } from './tokens/provider.js';

/**
 * Normalizes an origin string to `scheme://host[:port]` and checks it is one a
 * config may trust: https with any host, or http on a loopback host (the
 * browser treats those as secure contexts; the reference mall uses one).
 * Returns null when the string is not such an origin. No wildcards.
 */
export function normalizeTrustedOrigin(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.username || url.password || (url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) return null;
  if (value.includes('*')) return null;
  const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) return null;
  return url.origin;
}

const originSchema = z.string().max(300).transform((value, ctx) => {
  const origin = normalizeTrustedOrigin(value);
  if (!origin) {
    ctx.addIssue({ code: 'custom', message: `不是有效的可信网站地址（需 https://主机[:端口]，不含路径和通配符）: ${value}` });
    return z.NEVER;
  }
  return origin;
});

const sealSchema = z.strictObject({
  /** SHA-256 fingerprint (hex) of the certificate the image belongs to. */
  fingerprintSha256: z.string().regex(/^[0-9a-fA-F]{64}$/).transform((s) => s.toLowerCase()),
  image: z.string().min(1).max(1000),
  widthMm: z.number().positive().max(1000).optional(),
  heightMm: z.number().positive().max(1000).optional(),
});

const tsaUrlSchema = z.string().max(1000).refine((value) => {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && !url.username && !url.password;
  } catch {
    return false;
  }
}, { message: '时间戳服务地址须为 http:// 或 https:// 网址（用户名密码请写在 authorization 中）' });

/** RFC 3161 time-stamping: where to ask, and which TSA roots to trust when verifying. */
const timestampSchema = z.strictObject({
  /** The TSA's URL (http or https). Never taken from a page. */
  url: tsaUrlSchema.optional(),
  /** Value of the HTTP Authorization header sent to the TSA (e.g. `Basic …`), if it needs one. */
  authorization: z.string().min(1).max(2000).optional(),
  /** Time the TSA has to answer, ms. */
  timeoutMs: z.number().int().min(500).max(120_000).default(TIMESTAMP_TIMEOUT_MS),
  /** PEM or DER files of the TSA root CAs time-stamps must chain to. */
  trustAnchors: z.array(z.string().min(1).max(1000)).max(20).default([]),
});

/**
 * The 移动签 service URL: https, or http on a loopback host (tests, the demo).
 * The assistant reaches the service only there, never at a URL from a page.
 */
const serviceUrlSchema = z.string().max(300).transform((value, ctx) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: `不是有效的网址：${value}` });
    return z.NEVER;
  }
  const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
  if (url.username || url.password || url.search || url.hash || !(url.protocol === 'https:' || (url.protocol === 'http:' && loopback))) {
    ctx.addIssue({ code: 'custom', message: `移动签服务地址须为 https://…（本机测试可用 http://127.0.0.1），且不含用户名、查询串：${value}` });
    return z.NEVER;
  }
  return url.href.replace(/\/+$/, '');
});

const mobileSigningSchema = z.strictObject({
  /** Base URL of the 公采易通 signing service; its API lives under `/api/v1/`. */
  serviceUrl: serviceUrlSchema,
  /** PEM or DER files of the mobile CA roots the phones' certificates must chain to. */
  trustAnchors: z.array(z.string().min(1).max(1000)).min(1).max(20),
  /** Seconds a QR stays valid before it must be refreshed (default 120, at most 600). */
  sessionSeconds: z.number().int().min(10).max(600).default(120),
});

export const configSchema = z.strictObject({
  /** WebSocket API port on 127.0.0.1 (default 21518). */
  port: z.number().int().min(1).max(65535).default(21518),
  /**
   * The compatibility endpoint for pages coded against the incumbent CA clients
   * (`ws://127.0.0.1:<port>/xtxapp/`, GM/T 0020 SOF_* functions): on by default on port 21051.
   */
  xtxCompat: z.strictObject({ enabled: z.boolean().default(true), port: z.number().int().min(1).max(65535).default(21051) }).default({ enabled: true, port: 21051 }),
  /** Origins that may call every method without consent. */
  trustedOrigins: z.array(originSchema).max(100).default([]),
  /** Extra PKCS#11 module paths, tried besides the vendor table; `skf:<path>` names an SKF (GM/T 0016) library. */
  modules: z.array(z.string().min(1).max(1000)).max(50).default([]),
  /** Skip the built-in vendor table and use only `modules` (tests, locked-down machines). */
  onlyConfiguredModules: z.boolean().default(false),
  /** Extra vendor table file (JSON), merged over the built-in one. */
  vendorTable: z.string().max(1000).optional(),
  /** PEM or DER files of the root CAs to trust. */
  trustAnchors: z.array(z.string().min(1).max(1000)).max(100).default([]),
  /** PEM or DER files of intermediate CAs used to complete chains. */
  intermediates: z.array(z.string().min(1).max(1000)).max(200).default([]),
  /** Seal images for certificates whose token carries none. */
  seals: z.array(sealSchema).max(100).default([]),
  /**
   * N of the PIN dialog's “本次会话 N 分钟内不再询问” tick (default 10; 0 hides the tick, so
   * every signature asks the PIN).
   */
  pinReuseMinutes: z.number().int().min(0).max(MAX_PIN_REUSE_MINUTES).default(DEFAULT_PIN_REUSE_MINUTES),
  /**
   * Trusted origins whose login is reused without the tick, minutes after the PIN was
   * entered for that origin (silent batches). Each must be in `trustedOrigins`.
   */
  pinReuseOrigins: z.record(originSchema, z.number().int().min(1).max(MAX_PIN_REUSE_MINUTES)).default({}),
  /** Replaced by `pinReuseMinutes`/`pinReuseOrigins`; still accepted in old files, not used. */
  pinCacheSeconds: z.number().int().min(0).max(86_400).optional(),
  /** Where the audit log, consents and logs go (default: the user's data directory). */
  dataDir: z.string().min(1).max(1000).optional(),
  language: z.enum(['zh-CN', 'en']).default('zh-CN'),
  /** SM2 signer id for the Z value (GM/T 0009 default). */
  sm2UserId: z.string().min(1).max(128).default('1234567812345678'),
  /** RFC 3161 time-stamps for signatures whose page asks for one (`sign.hash` `timestamp: true`). */
  timestamp: timestampSchema.default({ timeoutMs: TIMESTAMP_TIMEOUT_MS, trustAnchors: [] }),
  /** 移动签（公采签）: the signing service and its CA; absent, sign.mobile answers MOBILE_NOT_CONFIGURED. */
  mobileSigning: mobileSigningSchema.optional(),
});

export type Config = z.infer<typeof configSchema> & { dataDir: string; configFile?: string };

const ZH_ERRORS = z.locales.zhCN().localeError;

/** Raised for a config file that cannot be used; the message is Chinese and names the file and the field. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** The per-user data directory (audit log, consents, logs). */
export function defaultDataDir(): string {
  if (process.env.CA_ASSISTANT_DATA_DIR) return process.env.CA_ASSISTANT_DATA_DIR;
  if (process.platform === 'win32') return join(process.env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'ca-assistant');
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'ca-assistant');
  return join(process.env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'ca-assistant');
}

/** Parses config text; paths inside are resolved against `baseDir`. Throws ConfigError. */
export function parseConfig(text: string, source = '配置', baseDir = process.cwd()): Config {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${source} 不是有效的 JSON：${(error as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError(`${source} 顶层必须是一个 JSON 对象`);
  // zod's own messages in Chinese, so no English reaches a clerk's screen.
  const parsed = configSchema.safeParse(raw, { error: ZH_ERRORS });
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 5)
      .map((issue) => `${issue.path.join('.') || '(顶层)'}: ${issue.message}`)
      .join('；');
    throw new ConfigError(`${source} 有误：${issues}`);
  }
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(baseDir, p));
  const c = parsed.data;
  const untrusted = Object.keys(c.pinReuseOrigins).filter((o) => !c.trustedOrigins.includes(o));
  if (untrusted.length > 0) throw new ConfigError(`${source} 有误：pinReuseOrigins 只能列出 trustedOrigins 中的网站：${untrusted.slice(0, 3).join('，')}`);
  return {
    ...c,
    modules: c.modules.map((m) => {
      const { provider, file } = providerOf(m);
      return modulePathOf(provider, abs(file));
    }),
    trustAnchors: c.trustAnchors.map(abs),
    intermediates: c.intermediates.map(abs),
    vendorTable: c.vendorTable ? abs(c.vendorTable) : undefined,
    seals: c.seals.map((s) => ({ ...s, image: abs(s.image) })),
    timestamp: { ...c.timestamp, trustAnchors: c.timestamp.trustAnchors.map(abs) },
    mobileSigning: c.mobileSigning ? { ...c.mobileSigning, trustAnchors: c.mobileSigning.trustAnchors.map(abs) } : undefined,
    dataDir: c.dataDir ? abs(c.dataDir) : defaultDataDir(),
  };
}

/** Loads a config file (or the defaults when `file` is undefined). Throws ConfigError. */
export function loadConfig(file?: string): Config {
  if (!file) return parseConfig('{}', '默认配置');
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    throw new ConfigError(`找不到配置文件：${file}`);
  }
  if (size > MAX_CONFIG_BYTES) throw new ConfigError(`配置文件过大（${size} 字节，上限 ${MAX_CONFIG_BYTES}）：${file}`);
  const config = parseConfig(readFileSync(file, 'utf8'), `配置文件 ${file}`, dirname(resolve(file)));
  return { ...config, configFile: resolve(file) };
}
