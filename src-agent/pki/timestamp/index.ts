/** RFC 3161 signature time-stamps: requests, embedding, verification (asn1js + pkijs, loaded on first use). */
export { buildTimestampRequest, readTimestampResponse } from './request.js';
export type { TimestampRequest } from './request.js';
export { addSignatureTimestamp, signatureValueOf } from './embed.js';
export { verifySignatureTimestamps } from './verify.js';
export type { TimestampCheck } from './verify.js';
