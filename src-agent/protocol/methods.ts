/**
 * The protocol v1 method table: for each method its params schema, who may
 * call it, whether it uses a private key, and documentation with an example.
 * The API dispatcher, the docs generator and the tests all read this table.
 */
import type { z } from 'zod';
import { AssistantError } from './errors.js';
import * as S from './schemas.js';
import type { EventMap, EventName, MethodName, MethodParams, MethodResult } from './types.js';

/**
 * `public`: any origin (system.hello only). `allowed`: a trusted origin, or
 * one the user allowed in the consent dialog. `trusted`: trusted origins only,
 * never offered to others (check.run: it asks for every key's PIN and reports
 * the machine's drivers, keys and certificates).
 */
export type MethodAccess = 'public' | 'allowed' | 'trusted';

export interface MethodSpec<M extends MethodName> {
  params: z.ZodType<MethodParams<M>>;
  access: MethodAccess;
  /** Uses a private key: may log in, so may open the PIN dialog. */
  needsKey: boolean;
  /** May open an assistant dialog even for a trusted origin (PIN, 环境检测). */
  interactive: boolean;
  descriptionZh: string;
  descriptionEn: string;
  example: { params: MethodParams<M>; result: MethodResult<M> };
}

export type MethodTable = { readonly [M in MethodName]: MethodSpec<M> };

const CERT_ID = 'tk-3f9a1c.5d41402abc4b2a76';
const TOKEN_ID = 'tk-3f9a1c';
const HASH = 'n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=';
const DER = 'MIIDszCCApugAwIBAgIUXq…';
const CMS = 'MIIHWgYJKoZIhvcNAQcCoIIHSzCCB0cCAQExDzAN…';

const PIN = { minLength: 6, maxLength: 16, protectedAuthPath: false, countLow: false, finalTry: false, locked: false };
const TOKEN = {
  id: TOKEN_ID,
  label: '某某科技有限公司',
  manufacturer: 'SoftHSM project',
  model: 'SoftHSM v2',
  serial: '3f9a1c0e7b2d4a11',
  module: 'libsofthsm2.so',
  loggedIn: false,
  pin: PIN,
};

export const METHODS: MethodTable = {
  'system.hello': {
    params: S.helloParamsSchema,
    access: 'public',
    needsKey: false,
    interactive: false,
    descriptionZh: '握手：返回互认助手版本、协议版本、本网站是否受信任及支持的算法。任何网站均可调用。',
    descriptionEn: 'Handshake: assistant version, protocol, whether this origin is trusted, capabilities. Open to any origin.',
    example: {
      params: { client: 'mall-web/2.3' },
      result: {
        product: 'ca-assistant',
        version: '0.1.0',
        protocol: 1,
        origin: 'https://mall.example.gov.cn',
        trusted: true,
        capabilities: { hashAlgorithms: ['sha256', 'sha384', 'sha512', 'sm3'], signatureFormats: ['cms', 'raw'], timestamp: true },
      },
    },
  },
  'tokens.list': {
    params: S.emptyParamsSchema,
    access: 'allowed',
    needsKey: false,
    interactive: false,
    descriptionZh: '列出已插入的 CA 锁及其 PIN 状态（是否锁定、剩余次数）。',
    descriptionEn: 'Lists the USB keys plugged in and their PIN state.',
    example: { params: {}, result: { tokens: [TOKEN] } },
  },
  'certs.list': {
    params: S.certsListParamsSchema,
    access: 'allowed',
    needsKey: false,
    interactive: false,
    descriptionZh: '列出 CA 锁上的证书（单位签章证书 / 个人签章证书），含 DER 证书与是否带有签章图片。',
    descriptionEn: 'Lists certificates on the keys (organization / personal), with DER and whether a seal image exists.',
    example: {
      params: { kind: 'organization' },
      result: {
        certs: [
          {
            id: CERT_ID,
            tokenId: TOKEN_ID,
            kind: 'organization',
            subject: 'CN=某某科技有限公司,OU=91110000MA01ABCD2X,O=某某科技有限公司,C=CN',
            issuer: 'CN=示例 CA 中级证书,O=示例 CA,C=CN',
            serialNumber: '5e2a9c0d41',
            notBefore: '2025-01-01T00:00:00.000Z',
            notAfter: '2027-01-01T00:00:00.000Z',
            keyUsage: ['digitalSignature', 'nonRepudiation'],
            keyAlgorithm: 'RSA-2048',
            fingerprintSha256: '5d41402abc4b2a76b9719d911017c592a1f0e4b3c2d1e0f9a8b7c6d5e4f3a2b1',
            hasSealImage: true,
            der: DER,
          },
        ],
      },
    },
  },
  'certs.chain': {
    params: S.certIdParamsSchema,
    access: 'allowed',
    needsKey: false,
    interactive: false,
    descriptionZh: '返回证书链（叶证书在前）及是否可信、存在的问题。',
    descriptionEn: 'Returns the chain (leaf first), whether it is trusted, and its problems.',
    example: { params: { certId: CERT_ID }, result: { chain: [DER, 'MIIDjTCCAnWgAwIBAgIU…'], trusted: true, problems: [] } },
  },
  'seals.get': {
    params: S.certIdParamsSchema,
    access: 'allowed',
    needsKey: false,
    interactive: false,
    descriptionZh: '取证书对应的签章图片（公章 / 个人签章）。',
    descriptionEn: 'Returns the seal image belonging to a certificate.',
    example: {
      params: { certId: CERT_ID },
      result: { mime: 'image/png', image: 'iVBORw0KGgoAAAANSUhEUgAA…', widthMm: 42, heightMm: 42, source: 'token' },
    },
  },
  'sign.hash': {
    params: S.signHashParamsSchema,
    access: 'allowed',
    needsKey: true,
    interactive: true,
    descriptionZh:
      '对摘要签名。format 为 cms 时返回分离式 CMS SignedData（含 messageDigest、signingTime、signingCertificateV2 与证书），可直接用于 PDF 签章或 .p7s。未登录时互认助手弹出 PIN 窗口。timestamp 为 true 时加入可信时间戳（PAdES B-T），时间戳服务失败则整个请求失败（TIMESTAMP_*）。',
    descriptionEn:
      'Signs a digest. With format cms returns a detached CMS SignedData usable for PDF signatures or .p7s. Opens the PIN dialog when not logged in. With timestamp true the CMS carries an RFC 3161 signature time-stamp (PAdES B-T); a TSA failure fails the call (TIMESTAMP_*).',
    example: {
      params: { certId: CERT_ID, hash: HASH, hashAlgorithm: 'sha256', format: 'cms', document: { name: '政府采购合同-2025-0012.pdf' }, timestamp: true },
      result: { signature: CMS, format: 'cms', signatureAlgorithm: 'sha256WithRSAEncryption', certificate: DER },
    },
  },
  'sign.mobile': {
    params: S.signMobileParamsSchema,
    access: 'allowed',
    needsKey: false,
    interactive: true,
    descriptionZh:
      '移动签（公采签）：互认助手在配置的公采易通服务创建一次性签章会话，在自己的窗口中显示二维码（网站、文件名、摘要指纹、倒计时、刷新二维码、取消）；用户用公采易通扫码并在手机上确认。互认助手校验返回的 CMS（摘要一致、签名有效、证书链到配置的移动签根证书、证书类别与印章一致）后返回，并附上手机上所选的印章图片。等待期间向页面发送 request.progress 事件。不需要 CA 锁。',
    descriptionEn:
      'Mobile signing: the assistant creates a one-time session at the configured service, shows its own QR dialog, the user scans and confirms on the phone; the assistant verifies the CMS (digest, signature, chain to the mobile CA roots, certificate kind) before answering, with the seal image chosen. Sends request.progress while waiting. No USB key needed.',
    example: {
      params: { hash: HASH, hashAlgorithm: 'sha256', format: 'cms', sealKind: 'organization', document: { name: '政府采购合同-2025-0012.pdf' } },
      result: {
        signature: CMS, format: 'cms', signatureAlgorithm: 'ecdsa-with-SHA256', certificate: DER, sealKind: 'organization',
        seal: { mime: 'image/png', image: 'iVBORw0KGgoAAAANSUhEUgAA…', widthMm: 42, heightMm: 42 },
      },
    },
  },
  'auth.challenge': {
    params: S.authChallengeParamsSchema,
    access: 'allowed',
    needsKey: true,
    interactive: true,
    descriptionZh:
      '证明持有证书私钥并绑定到本网站：互认助手签署 {"type":"ca-assistant/auth","origin","nonce","serverNonce","time"}（SM2 证书用 SM3 摘要，其余用 SHA-256，见 hashAlgorithm），商城验证 CMS 签名并核对 origin 与 nonce。',
    descriptionEn:
      'Proof of possession bound to the origin: the assistant signs the auth payload (SM3 hash for SM2 certificates, else SHA-256: see hashAlgorithm); the mall verifies the CMS and checks origin and nonce.',
    example: {
      params: { certId: CERT_ID, nonce: 'q83vEjRWeJCrze8SNFZ4kA==' },
      result: {
        certificate: DER,
        payload:
          '{"type":"ca-assistant/auth","origin":"https://mall.example.gov.cn","nonce":"q83vEjRWeJCrze8SNFZ4kA==","serverNonce":"3q2+7wAAAAA3q2+7wAAAAA==","time":"2025-03-01T08:00:00.000Z"}',
        signature: CMS,
        hashAlgorithm: 'sha256',
      },
    },
  },
  'verify.cms': {
    params: S.verifyCmsParamsSchema,
    access: 'allowed',
    needsKey: false,
    interactive: false,
    descriptionZh: '验证分离式 CMS 签名与给定摘要是否匹配，并检查签名证书链；逐个验证每个签名者。带可信时间戳（RFC 3161）时验证时间戳并以其时间判断证书有效期，否则按验证时刻判断（validityTime 说明所用时间）。',
    descriptionEn: 'Verifies a detached CMS signature against a digest and checks the signer chain; every SignerInfo is verified (signers). A signature time-stamp is verified and its trusted time used for certificate validity, else the time of verification (validityTime says which).',
    example: {
      params: { signature: 'MIIHWgYJKoZIhvcNAQcCoIIHSzCCB0cCAQExDzANBglghkgBZQMEAgEFADALBgkqhkiG9w0BBwE=', hash: HASH, hashAlgorithm: 'sha256' },
      result: {
        valid: true,
        signer: {
          subject: 'CN=某某科技有限公司,O=某某科技有限公司,C=CN',
          issuer: 'CN=示例 CA 中级证书,O=示例 CA,C=CN',
          serialNumber: '5e2a9c0d41',
          fingerprintSha256: '5d41402abc4b2a76b9719d911017c592a1f0e4b3c2d1e0f9a8b7c6d5e4f3a2b1',
          notBefore: '2025-01-01T00:00:00.000Z',
          notAfter: '2027-01-01T00:00:00.000Z',
          der: DER,
          signingTime: '2025-03-01T08:00:00.000Z',
        },
        chainTrusted: true,
        timestamp: { valid: true, time: '2025-03-01T08:00:01.000Z', tsa: 'C=CN, O=示例 CA, CN=示例时间戳服务' },
        validityTime: { time: '2025-03-01T08:00:01.000Z', source: 'timestamp' },
        signers: [{
          valid: true,
          signer: {
            subject: 'CN=某某科技有限公司,O=某某科技有限公司,C=CN',
            issuer: 'CN=示例 CA 中级证书,O=示例 CA,C=CN',
            serialNumber: '5e2a9c0d41',
            fingerprintSha256: '5d41402abc4b2a76b9719d911017c592a1f0e4b3c2d1e0f9a8b7c6d5e4f3a2b1',
            notBefore: '2025-01-01T00:00:00.000Z',
            notAfter: '2027-01-01T00:00:00.000Z',
            der: DER,
            signingTime: '2025-03-01T08:00:00.000Z',
          },
          chainTrusted: true,
          validityTime: { time: '2025-03-01T08:00:01.000Z', source: 'timestamp' },
          timestamp: { valid: true, time: '2025-03-01T08:00:01.000Z', tsa: 'C=CN, O=示例 CA, CN=示例时间戳服务' },
          problems: [],
        }],
        problems: [],
      },
    },
  },
  'check.run': {
    params: S.emptyParamsSchema,
    access: 'trusted',
    needsKey: false,
    interactive: true,
    descriptionZh: '运行环境检测（仅受信任网站）；需要时在互认助手窗口中输入 PIN，窗口中显示发起检测的网站。此处输入 PIN 后的登录只供该网站使用，其他网站签章仍需自己的 PIN。检测过程中发送 check.progress 事件。',
    descriptionEn: 'Runs the environment check (trusted origins only); the PIN, if needed, is typed in the assistant, whose dialog names the asking site. A login made there serves that site only. Sends check.progress events.',
    example: {
      params: {},
      result: {
        startedAt: '2025-03-01T08:00:00.000Z',
        finishedAt: '2025-03-01T08:00:03.200Z',
        version: '0.1.0',
        summary: { ok: 1, warn: 0, fail: 0, skipped: 0 },
        checks: [
          {
            id: 'token.present',
            titleZh: 'CA 锁',
            titleEn: 'USB key',
            category: 'token',
            status: 'ok',
            detailZh: '已检测到 1 个 CA 锁：某某科技有限公司',
            durationMs: 120,
          },
        ],
      },
    },
  },
  'session.logout': {
    params: S.logoutParamsSchema,
    access: 'allowed',
    needsKey: false,
    interactive: false,
    descriptionZh: '退出该 CA 锁的登录状态；下次签名需重新输入 PIN。',
    descriptionEn: 'Logs the key out; the next signature asks for the PIN again.',
    example: { params: { tokenId: TOKEN_ID }, result: {} },
  },
};

export interface EventSpec<E extends EventName> {
  descriptionZh: string;
  descriptionEn: string;
  example: EventMap[E];
}

/** Every notification the assistant sends, for docs. */
export const EVENTS: { readonly [E in EventName]: EventSpec<E> } = {
  'tokens.changed': {
    descriptionZh: 'CA 锁插入、拔出、登录或退出时发送给所有已授权的连接。',
    descriptionEn: 'Sent to every allowed connection on key insert, removal, login or logout.',
    example: { tokens: [{ ...TOKEN, loggedIn: true }] },
  },
  'check.progress': {
    descriptionZh: '环境检测中每项检测开始（无 status）与结束（带 status）时发送给发起检测的页面。',
    descriptionEn: 'Sent to the page running check.run when each check starts (no status) and ends (with status).',
    example: { id: 'token.present', index: 0, total: 9, status: 'ok' },
  },
  'request.progress': {
    descriptionZh:
      '请求等待用户操作时发送给发起请求的页面：waiting-pin / waiting-consent（互认助手窗口）、waiting-mobile-scan（二维码已显示，请用公采易通扫码）、waiting-mobile-confirm（已扫码，请在手机上确认）、mobile-qr-expired（二维码已过期，可在互认助手中刷新）。id 为请求的 JSON-RPC id。',
    descriptionEn: 'Sent to the page while one of its requests waits for the user; id is the request’s JSON-RPC id.',
    example: { id: 7, state: 'waiting-mobile-scan' },
  },
};

export const METHOD_NAMES = Object.keys(METHODS) as MethodName[];

export function isMethodName(value: unknown): value is MethodName {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(METHODS, value);
}


/**
 * Validates the params of a request for `method`; absent params count as `{}`.
 * Throws AssistantError BAD_REQUEST whose details list the failing paths and
 * zod issue codes (never the values sent).
 */
export function parseParams<M extends MethodName>(method: M, params: unknown): MethodParams<M> {
  const parsed = METHODS[method].params.safeParse(params ?? {});
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.slice(0, 10).map((issue) => ({ path: issue.path.map(String).join('.'), code: issue.code }));
  const summary = issues.map((i) => `${i.path || '(params)'}: ${i.code}`).join('; ');
  const detailZh = issues.some((i) => i.path === 'document.name') ? { detailZh: S.DOCUMENT_NAME_DETAIL_ZH } : {};
  throw new AssistantError('BAD_REQUEST', `invalid params for ${method}: ${summary}`, { issues, ...detailZh });
}
