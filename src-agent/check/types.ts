/** Shapes shared by the 环境检测 check groups and their runner. */
import { keyUsageAllowsSigning } from '../pki/index.js';
import type { CheckCategory, CheckResult, CheckStatus } from '../protocol/types.js';
import type { BrowserPolicyReader } from './browser-policy.js';
import type { AgentCore } from '../service/agent-core.js';
import type { CertEntry } from '../service/cert-service.js';
import type { Requester, SigningUseCase } from '../service/signing/index.js';
import type { TokenInfo } from '../tokens/types.js';
import { localTime } from '../util/local-time.js';

/** A trusted origin that connected to the API in this run. */
export interface BrowserSeen {
  origin: string;
  /** ISO 8601. */
  time: string;
}

/** Options of {@link runChecks}. */
/** The compatibility endpoint as the server started it: off, on its port, or the port held by another program. */
export type CompatPortState = { state: 'off' } | { state: 'on'; port: number } | { state: 'taken'; port: number };

export interface RunChecksOptions {
  core: AgentCore;
  /**
   * Asks the user PIN of one token (the assistant's dialog, the TTY, stdin).
   * Resolves with a Buffer the checks zero after use, or null to skip the PIN
   * checks of that token. After a wrong PIN it is called again for the same
   * token with `attempt` 2, 3… and the token's fresh PIN state (tries left);
   * null then stops asking. Absent: PIN checks are skipped.
   */
  pin?: (token: TokenInfo, ask: PinAsk) => Promise<Buffer | null>;
  /**
   * The keys whose PIN the user chose to check, in the order to ask. Keys not
   * listed are not asked. Absent: every key, {@link RunChecksOptions.preferredTokens}
   * first, and none at its final try (asked only when chosen here).
   */
  pinTokens?: string[];
  /** Token ids to ask first when `pinTokens` is absent (the keys the mall used last, most recent first). */
  preferredTokens?: string[];
  /** API port to probe (default `core.config.port`). */
  port?: number;
  /** Called when a check group starts and when each result is known. */
  onProgress?: (event: CheckProgress) => void;
  /** Called after a successful login (registered for whoever runs the check: the user, or the asking site). */
  onLogin?: (tokenId: string) => void;
  /** State of the compatibility endpoint in the running server; absent outside it (the port is probed). */
  compat?: () => CompatPortState;
  /** Who runs the check, for its test signatures (default the user, channel `check`). */
  requester?: Requester;
  /** Trusted origins that connected in this run; absent outside the server. */
  browserSeen?: () => BrowserSeen[];
  /** The time checks judge validity against (default now). */
  now?: Date;
  /**
   * The signing use case the test signatures go through (audited, marked as
   * tests). Absent: the run makes one over `core` with no dialogs.
   */
  signing?: SigningUseCase;
  /** Reads the browsers' Local Network Access policies (default: this OS's; null: not inspected). */
  browserPolicies?: BrowserPolicyReader | null;
}

/** Which ask this is for one token: 1 first, more after a wrong PIN. */
export interface PinAsk {
  attempt: number;
  lastError?: 'PIN_INCORRECT' | 'PIN_LEN_RANGE';
}

/**
 * Progress of a run. `index`/`total` count check groups; a group start has no
 * `status`, each result it produces comes with its status and title.
 */
export interface CheckProgress {
  id: string;
  index: number;
  total: number;
  status?: CheckStatus;
  titleZh?: string;
}

/** A result before its duration is stamped by the runner. */
export type Outcome = Omit<CheckResult, 'durationMs' | 'category'> & { category?: CheckCategory };

/** What a group sees: the options plus caches shared across groups. */
export interface CheckContext {
  options: RunChecksOptions;
  core: AgentCore;
  now: Date;
  /** User certificates per token, read once (refreshed after login). */
  entries(tokenId: string, fresh?: boolean): Promise<CertEntry[]>;
  /** Tokens present at the start of the run. */
  tokens: TokenInfo[];
  /** The signing use case for test signatures (the options' one, or one made for this run). */
  signing(): SigningUseCase;
  /** Records one result; its duration is the time since the previous one in the group. */
  emit(outcome: Outcome): void;
  /** Says what the group is doing now (e.g. whose PIN it asks), without a result. */
  progress(titleZh: string): void;
}

/** One group of checks (system, service, drivers…). */
export interface CheckGroup {
  id: string;
  titleZh: string;
  category: CheckCategory;
  run(ctx: CheckContext): Promise<void>;
}

/** Short display name of a token for messages: its label, or the serial. */
export function tokenName(token: Pick<TokenInfo, 'label' | 'serial'>): string {
  return token.label || token.serial;
}

/** Display name of a certificate: the CN (or the first subject value) and whether it is 单位 or 个人. */
export function certName(entry: CertEntry): string {
  const cn = entry.details.subjectAttributes.find((a) => a.name === 'CN')?.value ?? entry.details.subject;
  const kind = entry.details.kind === 'organization' ? '单位证书' : entry.details.kind === 'personal' ? '个人证书' : '证书';
  return `${cn}（${kind}）`;
}

/** `2026-01-31 16:00（北京时间）`: local time with its zone, for detail lines. */
export function shortTime(iso: string): string {
  return localTime(iso, { zone: true });
}

/**
 * An encryption certificate: its KeyUsage allows key/data encipherment or key
 * agreement and no signing (the second half of a 国密 dual-certificate pair).
 * It is listed, but never judged as a signing certificate.
 */
export function isEncryptionCert(entry: CertEntry): boolean {
  const ku = entry.details.keyUsage;
  return entry.details.keyUsagePresent && !keyUsageAllowsSigning(ku)
    && (ku.includes('keyEncipherment') || ku.includes('dataEncipherment') || ku.includes('keyAgreement'));
}

/** Chinese names of the KeyUsage bits. */
export const KEY_USAGE_ZH: Record<string, string> = {
  digitalSignature: '数字签名', nonRepudiation: '不可否认', keyEncipherment: '密钥加密', dataEncipherment: '数据加密',
  keyAgreement: '密钥协商', keyCertSign: '签发证书', cRLSign: '签发 CRL', encipherOnly: '仅加密', decipherOnly: '仅解密',
};

/** Chinese names of the common ExtendedKeyUsage purposes. */
export const EXT_KEY_USAGE_ZH: Record<string, string> = {
  serverAuth: '服务器身份验证', clientAuth: '客户端身份验证', codeSigning: '代码签名', emailProtection: '安全电子邮件',
  timeStamping: '时间戳', OCSPSigning: 'OCSP 签名', ocspSigning: 'OCSP 签名',
};

/** Key usages in Chinese, joined with 、 (unknown names as given). */
export function keyUsageZh(usages: readonly string[], names: Record<string, string> = KEY_USAGE_ZH): string {
  return usages.map((u) => names[u] ?? u).join('、');
}
