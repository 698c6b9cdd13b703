/**
 * zod schemas for the params of every protocol v1 method. Objects are strict
 * (unknown fields are rejected), strings are bounded, base64 is checked for
 * alphabet, padding and decoded size. The `Equal` checks at the bottom keep
 * these schemas and the hand-written types in `types.ts` identical.
 */
import { z } from 'zod';
import type * as T from './types.js';

/** Longest accepted id (token, certificate), characters (default 128). */
export const MAX_ID_LENGTH = 128;
/** Largest accepted digest, decoded bytes (default 128). */
export const MAX_HASH_BYTES = 128;
/** Largest CMS accepted by verify.cms, base64 characters (default 48 KiB). */
export const MAX_VERIFY_CMS_BASE64 = 48 * 1024;
/** Bounds of the auth.challenge nonce, decoded bytes (default 16..64). */
export const MIN_NONCE_BYTES = 16;
export const MAX_NONCE_BYTES = 64;
/** Longest document name shown in the PIN dialog, characters (default 200). */
export const MAX_DOCUMENT_NAME_LENGTH = 200;
/** Longest `client` string in system.hello, characters (default 128). */
export const MAX_CLIENT_LENGTH = 128;

/** Digest length in bytes of each hash algorithm. */
export const HASH_LENGTHS: Readonly<Record<T.HashAlgorithm, number>> = {
  sha256: 32,
  sha384: 48,
  sha512: 64,
  sm3: 32,
};

const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const ID_RE = /^[A-Za-z0-9._:-]+$/;
// C0, DEL, C1, and the bidi/zero-width controls that can disguise a name in the PIN dialog.
const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/;

/** Decoded size of a well-formed base64 string, bytes. */
export function base64DecodedLength(value: string): number {
  const padding = value.endsWith('==') ? 2 : value.endsWith('=') ? 1 : 0;
  return (value.length / 4) * 3 - padding;
}

/** A base64 string whose decoded size is within `minBytes..maxBytes`. */
export function base64Schema(minBytes: number, maxBytes: number) {
  return z
    .string()
    .max(Math.ceil(maxBytes / 3) * 4)
    .regex(BASE64_RE, { message: 'not base64' })
    .refine((s) => {
      const n = base64DecodedLength(s);
      return n >= minBytes && n <= maxBytes;
    }, { message: `decoded size must be ${minBytes}..${maxBytes} bytes` });
}

export const idSchema = z.string().min(1).max(MAX_ID_LENGTH).regex(ID_RE).describe('标识符：1–128 个字符 [A-Za-z0-9._:-]');
export const hashAlgorithmSchema = z.enum(['sha256', 'sha384', 'sha512', 'sm3']).describe('摘要算法');
export const signatureFormatSchema = z.enum(['cms', 'raw']).describe('cms：分离式 CMS SignedData；raw：裸签名值');
export const cmsProfileSchema = z.enum(['cms', 'gmt0010']).describe('CMS 编码：cms（RFC 5652 内容类型，默认）或 gmt0010（GM/T 0010 国密内容类型，仅 SM2 证书）');
export const certificateKindSchema = z.enum(['organization', 'personal', 'unknown']).describe('证书类别：单位 / 个人 / 未知');
/**
 * What a document name may contain: letters, digits, punctuation, math and
 * currency signs, `^` and `` ` ``, the ASCII and the ideographic space. Not
 * the blank letters (Hangul fillers), marks, symbols such as emoji, format,
 * separator or private-use characters, and not more than two spaces in a row:
 * those can hide text or push a fake line into the PIN dialog.
 */
const DOCUMENT_NAME_RE = /^(?:(?![\u115f\u1160\u3164\uffa0])[\p{L}\p{N}\p{P}\p{Sm}\p{Sc}^`]|[ \u3000](?![ \u3000]{2}))+$/u;
/** The Chinese detail sent with BAD_REQUEST when a document name is refused. */
export const DOCUMENT_NAME_DETAIL_ZH = '文档名称含有不允许的字符：只能使用文字、数字、常用标点和单个空格（不可见字符、表情符号、换行等不能使用）。';
const textSchema = (max: number) =>
  z.string().min(1).max(max).refine((s) => !CONTROL_RE.test(s), { message: 'control characters are not allowed' });

const hashSchema = base64Schema(1, MAX_HASH_BYTES).describe('摘要值（base64），长度须与 hashAlgorithm 一致');

/** Adds an issue at `hash` when its decoded length does not match `hashAlgorithm`. */
function checkHashLength(value: { hash: string; hashAlgorithm: T.HashAlgorithm }, ctx: z.RefinementCtx): void {
  if (base64DecodedLength(value.hash) !== HASH_LENGTHS[value.hashAlgorithm]) {
    ctx.addIssue({ code: 'custom', path: ['hash'], message: `hash length does not match ${value.hashAlgorithm}` });
  }
}

export const helloParamsSchema = z.strictObject({
  client: textSchema(MAX_CLIENT_LENGTH).optional().describe('调用方名称与版本，如 mall-web/2.3（仅记入日志）'),
});
export const emptyParamsSchema = z.strictObject({});
export const certsListParamsSchema = z.strictObject({
  tokenId: idSchema.optional().describe('只列出该 CA 锁上的证书'),
  kind: certificateKindSchema.optional().describe('只列出该类别的证书'),
});
export const certIdParamsSchema = z.strictObject({
  certId: idSchema.describe('certs.list 返回的证书 id'),
});
export const documentClaimSchema = z.strictObject({
  name: textSchema(MAX_DOCUMENT_NAME_LENGTH)
    .regex(DOCUMENT_NAME_RE, { message: 'document name characters outside the allow-list' })
    .describe('文档名称（PIN 窗口中标注为“网站声称”），≤200 字符：文字、数字、常用标点与单个空格，不含控制、不可见字符或表情符号'),
});
export const signHashParamsSchema = z
  .strictObject({
    certId: idSchema.describe('签名证书 id'),
    hash: hashSchema,
    hashAlgorithm: hashAlgorithmSchema,
    format: signatureFormatSchema,
    profile: cmsProfileSchema.optional(),
    document: documentClaimSchema.optional().describe('所签文档，供 PIN 窗口显示'),
    timestamp: z.boolean().optional().describe('true：在 CMS 中加入可信时间戳（RFC 3161，由互认助手配置的时间戳服务签发；仅 format 为 cms）'),
  })
  .superRefine(checkHashLength)
  .superRefine((value, ctx) => {
    if (value.timestamp && value.format !== 'cms') ctx.addIssue({ code: 'custom', path: ['timestamp'], message: 'timestamp needs format "cms"' });
  });
export const sealKindSchema = z.enum(['organization', 'personal']).describe('印章：organization 单位公章（单位证书），personal 个人签章（个人证书）');
export const signMobileParamsSchema = z
  .strictObject({
    hash: hashSchema,
    hashAlgorithm: z.enum(['sha256', 'sha384', 'sha512']).describe('摘要算法（手机证书为 P-256，不支持 sm3）'),
    format: z.literal('cms').describe('只支持 cms'),
    sealKind: sealKindSchema,
    document: documentClaimSchema.optional().describe('所签文档，显示在互认助手的二维码窗口和手机上'),
    timestamp: z.boolean().optional().describe('true：在手机签署的 CMS 中加入可信时间戳（RFC 3161，互认助手配置的时间戳服务）'),
  })
  .superRefine(checkHashLength);
export const authChallengeParamsSchema = z.strictObject({
  certId: idSchema.describe('用于证明身份的证书 id'),
  nonce: base64Schema(MIN_NONCE_BYTES, MAX_NONCE_BYTES).describe('商城生成的随机数（base64，16–64 字节）'),
});
export const verifyCmsParamsSchema = z
  .strictObject({
    signature: z
      .string()
      .min(1)
      .max(MAX_VERIFY_CMS_BASE64)
      .regex(BASE64_RE, { message: 'not base64' })
      .describe('分离式 CMS SignedData（base64，≤48 KiB）'),
    hash: hashSchema,
    hashAlgorithm: hashAlgorithmSchema,
  })
  .superRefine(checkHashLength);
export const logoutParamsSchema = z.strictObject({
  tokenId: idSchema.describe('要退出登录的 CA 锁 id'),
});

/** The auth.challenge payload, for a mall verifier that parses it back. */
export const authPayloadSchema = z.strictObject({
  type: z.literal('ca-assistant/auth'),
  origin: z.string().min(1).max(300),
  nonce: base64Schema(MIN_NONCE_BYTES, MAX_NONCE_BYTES),
  serverNonce: base64Schema(16, 64),
  time: z.iso.datetime(),
});

/**
 * The canonical text signed for auth.challenge: compact JSON, keys in the
 * order of `AuthPayload`, UTF-8 when hashed.
 */
export function serializeAuthPayload(payload: T.AuthPayload): string {
  const { type, origin, nonce, serverNonce, time } = payload;
  return JSON.stringify({ type, origin, nonce, serverNonce, time });
}

// ---- compile-time agreement with types.ts ------------------------------------

type Equal<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;
type Agree<S extends z.ZodType, P> = Equal<z.infer<S>, P> extends true ? true : { mismatch: [z.infer<S>, P] };

export const schemasAgreeWithTypes: [
  Agree<typeof helloParamsSchema, T.HelloParams>,
  Agree<typeof certsListParamsSchema, T.CertsListParams>,
  Agree<typeof certIdParamsSchema, T.CertIdParams>,
  Agree<typeof signHashParamsSchema, T.SignHashParams>,
  Agree<typeof signMobileParamsSchema, T.SignMobileParams>,
  Agree<typeof authChallengeParamsSchema, T.AuthChallengeParams>,
  Agree<typeof verifyCmsParamsSchema, T.VerifyCmsParams>,
  Agree<typeof logoutParamsSchema, T.LogoutParams>,
  Agree<typeof authPayloadSchema, T.AuthPayload>,
] = [true, true, true, true, true, true, true, true, true];
