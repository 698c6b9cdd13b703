/** Shapes shared by the 环境检测 check groups and their runner. */
import type { CheckCategory, CheckResult, CheckStatus } from '../protocol/types.js';
import type { AgentCore } from '../service/agent-core.js';
import type { CertEntry } from '../service/cert-service.js';
import type { Requester, SigningUseCase } from '../service/signing/index.js';
import type { TokenInfo } from '../tokens/types.js';

/** A trusted origin that connected to the API in this run. */
export interface BrowserSeen {
  origin: string;
  /** ISO 8601. */
  time: string;
}

/** Options of {@link runChecks}. */
export interface RunChecksOptions {
  core: AgentCore;
  /**
   * Asks the user PIN of one token (the assistant's dialog, the TTY, stdin).
   * Resolves with a Buffer the checks zero after use, or null to skip the PIN
   * checks of that token. Absent: PIN checks are skipped.
   */
  pin?: (token: TokenInfo) => Promise<Buffer | null>;
  /** API port to probe (default `core.config.port`). */
  port?: number;
  /** Called when a check group starts and when each result is known. */
  onProgress?: (event: CheckProgress) => void;
  /** Called after a successful login (registered for whoever runs the check: the user, or the asking site). */
  onLogin?: (tokenId: string) => void;
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

/** `2026-01-31 08:00` in UTC, for detail lines. */
export function shortTime(iso: string): string {
  return iso.replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, ' UTC');
}

/**
 * An encryption certificate: its KeyUsage allows key/data encipherment or key
 * agreement and no signing (the second half of a 国密 dual-certificate pair).
 * It is listed, but never judged as a signing certificate.
 */
export function isEncryptionCert(entry: CertEntry): boolean {
  const ku = entry.details.keyUsage;
  return entry.details.keyUsagePresent && !ku.includes('digitalSignature') && !ku.includes('nonRepudiation')
    && (ku.includes('keyEncipherment') || ku.includes('dataEncipherment') || ku.includes('keyAgreement'));
}
