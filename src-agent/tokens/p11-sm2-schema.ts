/**
 * The vendor table's `sm2` entry (registry.ts), with Chinese messages for
 * support staff. Agent side only: the token host checks the same rules
 * without zod (p11-sm2.ts `parseSm2Setting`).
 */
import { z } from 'zod';
import { KEY_TYPE, OID, SM2_CURVE_OID, ULONG_HEX, type Sm2Params } from './p11-sm2.js';

export const sm2ParamsSchema = z.strictObject({
  keyType: z.string().regex(KEY_TYPE, { error: 'keyType 须为 "CKK_EC" 或 0x 开头、最多 8 位的十六进制数，如 "0x80000004"' }),
  curveOid: z.string().regex(OID, { error: 'curveOid 须为点分十进制 OID，如 "1.2.156.10197.1.301"' }).default(SM2_CURVE_OID),
  signMechanism: z.string().regex(ULONG_HEX, { error: 'signMechanism 须为 0x 开头、最多 8 位的十六进制数，如 "0x80008104"' }),
  input: z.literal('e', { error: 'input 目前只支持 "e"（令牌对助手算好的 32 字节 e 签名）' }).default('e'),
  signatureFormat: z.enum(['raw', 'der'], { error: 'signatureFormat 须为 "raw"（r‖s 共 64 字节）或 "der"（SEQUENCE{r,s}）' }),
});

// The schema's output and the host's type must stay one shape.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const sameShape: Same<z.output<typeof sm2ParamsSchema>, Sm2Params> = true;
void sameShape;
