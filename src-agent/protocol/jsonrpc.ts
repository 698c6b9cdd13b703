/**
 * JSON-RPC 2.0 framing for protocol v1: strict parsing of request frames and
 * building of replies and notifications. No socket, no handlers here.
 */
import { MAX_FRAME_BYTES } from '../limits.js';
import { AssistantError, type ErrorDetails } from './errors.js';
import { REASONS } from './reasons.js';
import type { ErrorData, ErrorResponse, EventMap, EventName, JsonRpcId, NotificationFrame, ResultResponse } from './types.js';

/** Language of `message` and `data.remedy` (English is always in `data` too). */
export type Lang = 'zh-CN' | 'en';

/** JSON-RPC 2.0 standard codes used for frames that are not a valid request. */
export const PARSE_ERROR = -32700;
export const INVALID_REQUEST = -32600;

/** Longest method name accepted, characters (default 64). */
export const MAX_METHOD_LENGTH = 64;
/** Longest string id accepted, characters (default 128). */
export const MAX_ID_STRING_LENGTH = 128;

/** A well-formed request. Without `id` it is a notification and gets no reply. */
export interface RpcRequest {
  id?: JsonRpcId;
  method: string;
  /** Absent when the frame had no params; otherwise a plain object (checked by the method's schema). */
  params?: Record<string, unknown>;
}

export type ParseResult = { ok: true; request: RpcRequest } | { ok: false; errorReply: ErrorResponse };

const FRAME_KEYS = new Set(['jsonrpc', 'id', 'method', 'params']);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isValidId(value: unknown): value is JsonRpcId {
  if (typeof value === 'string') return value.length <= MAX_ID_STRING_LENGTH;
  return typeof value === 'number' && Number.isSafeInteger(value);
}

function invalid(id: JsonRpcId | null, message: string, lang: Lang): ParseResult {
  return { ok: false, errorReply: errorReply(id, new AssistantError('BAD_REQUEST', message), lang, INVALID_REQUEST) };
}

/**
 * Parses one text frame. Never throws: a frame that is not a valid single
 * JSON-RPC 2.0 request yields the error reply to send (`id` null unless the
 * frame carried a valid one). Batches are refused.
 */
export function parseFrame(text: string, lang: Lang = 'zh-CN'): ParseResult {
  if (text.length > MAX_FRAME_BYTES) return invalid(null, 'frame too large', lang);
  let frame: unknown;
  try {
    frame = JSON.parse(text);
  } catch {
    const error = new AssistantError('BAD_REQUEST', 'frame is not JSON');
    return { ok: false, errorReply: errorReply(null, error, lang, PARSE_ERROR) };
  }
  if (Array.isArray(frame)) return invalid(null, 'batch requests are not supported; send one request per frame', lang);
  if (!isPlainObject(frame)) return invalid(null, 'frame is not a JSON object', lang);

  const hasId = Object.prototype.hasOwnProperty.call(frame, 'id');
  const id = hasId && isValidId(frame.id) ? frame.id : null;
  if (hasId && id === null) return invalid(null, 'id must be a string or a safe integer', lang);
  if (frame.jsonrpc !== '2.0') return invalid(id, 'jsonrpc must be "2.0"', lang);
  const unknown = Object.keys(frame).filter((key) => !FRAME_KEYS.has(key));
  if (unknown.length > 0) return invalid(id, `unknown frame members: ${unknown.slice(0, 5).join(', ')}`, lang);
  const { method, params } = frame;
  if (typeof method !== 'string' || method.length === 0 || method.length > MAX_METHOD_LENGTH) {
    return invalid(id, `method must be a string of 1..${MAX_METHOD_LENGTH} characters`, lang);
  }
  if (params !== undefined && !isPlainObject(params)) return invalid(id, 'params must be an object', lang);

  const request: RpcRequest = { method };
  if (id !== null) request.id = id;
  if (params !== undefined) request.params = params;
  return { ok: true, request };
}

/**
 * Picks the details that may reach a web page; everything else stays in the log.
 * An INTERNAL error carries no detail line: whatever went wrong is not the page's to read.
 */
function publicDetails(details: ErrorDetails, reason: AssistantError['reason']): Partial<ErrorData> {
  const out: Partial<ErrorData> = {};
  const { retriesLeft, ckr, issues } = details;
  const detailZh = reason === 'INTERNAL' ? undefined : details.detailZh;
  if (typeof retriesLeft === 'number' && Number.isSafeInteger(retriesLeft) && retriesLeft >= 0) out.retriesLeft = retriesLeft;
  if (typeof ckr === 'string' && /^(CKR|SAR)_[A-Z0-9_]{1,60}$/.test(ckr)) out.ckr = ckr;
  if (typeof detailZh === 'string' && detailZh.length <= 500) out.detailZh = detailZh;
  if (Array.isArray(issues)) {
    out.issues = issues
      .filter((i): i is { path: string; code: string } => isPlainObject(i) && typeof i.path === 'string' && typeof i.code === 'string')
      .slice(0, 10)
      .map((i) => ({ path: i.path.slice(0, 200), code: i.code.slice(0, 64) }));
  }
  return out;
}

/**
 * The error reply for `error`. `message` and `data.remedy` come from the
 * REASONS table in `lang` (never from `error.message`, which is for logs);
 * English is always in `data`. `code` overrides the reason's code for the
 * JSON-RPC framing errors (-32700, -32600).
 */
export function errorReply(id: JsonRpcId | null | undefined, error: AssistantError, lang: Lang = 'zh-CN', code?: number): ErrorResponse {
  const info = REASONS[error.reason];
  return {
    jsonrpc: '2.0',
    id: id ?? null,
    error: {
      code: code ?? info.code,
      message: lang === 'en' ? info.en : info.zh,
      data: {
        reason: error.reason,
        remedy: lang === 'en' ? info.remedyEn : info.remedyZh,
        messageEn: info.en,
        remedyEn: info.remedyEn,
        ...publicDetails(error.details, error.reason),
      },
    },
  };
}

export function resultReply<R>(id: JsonRpcId, result: R): ResultResponse<R> {
  return { jsonrpc: '2.0', id, result };
}

export function notification<E extends EventName>(method: E, params: EventMap[E]): NotificationFrame<E> {
  return { jsonrpc: '2.0', method, params };
}
