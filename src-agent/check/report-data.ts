import { parseCertificate, type CertDetails } from '../pki/index.js';
import type { CheckReport } from '../protocol/types.js';
import type { AgentCore } from '../service/agent-core.js';
import type { ModuleInfo, PhysicalKey, TokenInfo } from '../tokens/types.js';
import { recentProblems, type LogRecord } from '../util/log.js';
import { maskPersonalIds } from './privacy.js';

/** Certificate facts for the report: everything public, no DER of keys, nothing secret. */
export type ReportCert = Omit<CertDetails, 'subjectAttributes' | 'issuerAttributes'> & {
  id?: string;
  label?: string;
  subjectFields: { label: string; value: string }[];
  issuerFields: { label: string; value: string }[];
};

export interface DiagnosticReport {
  generatedAt: string;
  checks: CheckReport;
  tokens: (Omit<TokenInfo, 'pin'> & { pin: TokenInfo['pin']; certificates: (ReportCert & { hasPrivateKey: boolean | null; chain: ReportCert[]; chainTrusted: boolean; chainProblems: string[] })[] })[];
  modules: ModuleInfo[];
  /** Each physical key and the drivers that reached it (the token list shows it once, through the kept one). */
  keys: PhysicalKey[];
  recentErrors: LogRecord[];
  /** True when personal ID numbers were masked (the default; see privacy.ts). */
  personalIdsMasked?: boolean;
  /** PKCS#11 calls (function, redacted arguments, return value, ms); present with `trace`. */
  trace?: { module: string; fn: string; args: string; rv: string; ms: number }[];
}

/** Chinese labels of DN attributes. */
export const DN_LABELS_ZH: Record<string, string> = {
  CN: '名称（CN）', O: '单位（O）', OU: '部门（OU）', C: '国家（C）', ST: '省份（ST）', L: '城市（L）',
  serialNumber: '证件号码（serialNumber）', E: '电子邮件', emailAddress: '电子邮件', street: '地址', title: '职务',
  '2.5.4.97': '机构标识（organizationIdentifier）',
};

function fields(attrs: CertDetails['subjectAttributes']): { label: string; value: string }[] {
  return attrs.map((a) => ({ label: DN_LABELS_ZH[a.name] ?? DN_LABELS_ZH[a.oid] ?? a.name, value: a.value }));
}

/** Public certificate facts with Chinese field labels. */
export function reportCert(details: CertDetails): ReportCert {
  const { subjectAttributes, issuerAttributes, ...rest } = details;
  return { ...rest, subjectFields: fields(subjectAttributes), issuerFields: fields(issuerAttributes) };
}

/**
 * Gathers everything support staff need, from the running core. Never reads a
 * PIN or a private key; personal ID numbers are masked unless `includePersonalIds`.
 */
export async function collectReport(core: AgentCore, checks: CheckReport, withTrace = false, includePersonalIds = false): Promise<DiagnosticReport> {
  const tokens: DiagnosticReport['tokens'] = [];
  for (const token of core.tokens.tokens()) {
    const entries = await core.certs.list(token.id).catch(() => []);
    tokens.push({
      ...token,
      certificates: entries.map((e) => {
        const chain = core.certs.chain(e);
        return {
          ...reportCert(e.details), id: e.token.id, label: e.token.label, hasPrivateKey: e.token.hasPrivateKey,
          chain: chain.chain.slice(1).map((der) => reportCert(parseCertificate(der))),
          chainTrusted: chain.trusted, chainProblems: chain.problems.map((p) => p.zh),
        };
      }),
    });
  }
  const modules = await core.tokens.moduleDetails();
  const report: DiagnosticReport = { generatedAt: new Date().toISOString(), checks, tokens, modules, keys: core.tokens.keys(), recentErrors: recentProblems() };
  if (withTrace) report.trace = await core.tokens.trace().catch(() => []);
  return includePersonalIds ? { ...report, personalIdsMasked: false } : maskPersonalIds(report);
}
