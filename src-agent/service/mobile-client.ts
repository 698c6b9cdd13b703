/**
 * The assistant's client of the 移动签 (公采易通) signing service, at the
 * configured URL only. Every answer is size-bounded and schema-checked; a
 * service that is down or slow is MOBILE_SERVICE_UNAVAILABLE, one that answers
 * nonsense is MOBILE_SERVICE_ERROR — never INTERNAL.
 */
import { z } from 'zod';
import { MAX_MOBILE_RESPONSE_BYTES, MOBILE_REQUEST_TIMEOUT_MS } from '../limits.js';
import { AssistantError } from '../protocol/errors.js';
import type { SealKind } from '../protocol/types.js';

// Shown in the assistant's dialog: no control, bidi or zero-width characters.
const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/;
const base64 = (maxChars: number) => z.string().max(maxChars).regex(/^[A-Za-z0-9+/]*={0,2}$/);

const createdSchema = z.object({
  sessionId: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/),
  // Opaque to the assistant: it only becomes a QR code. Printable ASCII keeps the QR small and plain.
  qr: z.string().min(8).max(300).regex(/^[\x21-\x7e]+$/),
  expiresAt: z.iso.datetime(),
});
const statusSchema = z.object({
  state: z.enum(['waiting', 'scanned', 'signed', 'rejected', 'expired', 'cancelled']),
  scannedBy: z.object({ name: z.string().max(64).refine((s) => !CONTROL_RE.test(s)) }).optional(),
  result: z.object({
    signature: base64(64 * 1024).min(1),
    sealKind: z.enum(['organization', 'personal']),
    seal: z.object({
      mime: z.literal('image/png'),
      image: base64(3 * 1024 * 1024).min(1),
      widthMm: z.number().positive().max(200).optional(),
      heightMm: z.number().positive().max(200).optional(),
    }),
  }).optional(),
});

export type CreatedSession = z.infer<typeof createdSchema>;
export type SessionStatus = z.infer<typeof statusSchema>;

export interface CreateSessionRequest {
  origin: string;
  documentName?: string;
  hash: Buffer;
  hashAlgorithm: 'sha256' | 'sha384' | 'sha512';
  sealKind: SealKind;
}

const unavailable = (log: string, detailZh: string): AssistantError => new AssistantError('MOBILE_SERVICE_UNAVAILABLE', log, { detailZh });
const malformed = (log: string): AssistantError => new AssistantError('MOBILE_SERVICE_ERROR', log, { detailZh: '移动签服务的应答格式不正确' });

export class MobileServiceClient {
  constructor(private readonly baseUrl: string, private readonly timeoutMs = MOBILE_REQUEST_TIMEOUT_MS) {}

  create(request: CreateSessionRequest, signal?: AbortSignal): Promise<CreatedSession> {
    const body = { origin: request.origin, hash: request.hash.toString('base64'), hashAlgorithm: request.hashAlgorithm, sealKind: request.sealKind, ...(request.documentName !== undefined ? { documentName: request.documentName } : {}) };
    return this.#call('POST', '/api/v1/sessions', createdSchema, body, signal);
  }

  status(sessionId: string, signal?: AbortSignal): Promise<SessionStatus> {
    return this.#call('GET', `/api/v1/sessions/${encodeURIComponent(sessionId)}`, statusSchema, undefined, signal);
  }

  /** Ends a session at the service; best effort (the session expires there anyway). */
  async cancel(sessionId: string): Promise<void> {
    await this.#call('DELETE', `/api/v1/sessions/${encodeURIComponent(sessionId)}`, z.unknown()).catch(() => undefined);
  }

  async #call<T>(method: string, path: string, schema: z.ZodType<T>, body?: unknown, signal?: AbortSignal): Promise<T> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    let res: Response;
    try {
      res = await fetch(this.baseUrl + path, {
        method,
        redirect: 'error',
        headers: { accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (error) {
      if (signal?.aborted) throw new AssistantError('USER_CANCELLED', `mobile service call aborted: ${method} ${path}`);
      if (timeout.aborted) throw unavailable(`mobile service timed out: ${method} ${path}`, '移动签服务响应超时');
      throw unavailable(`mobile service unreachable: ${(error as Error).message}`, '无法连接移动签服务');
    }
    const text = await readBounded(res, timeout);
    if (res.status >= 500) throw unavailable(`mobile service ${res.status} on ${method} ${path}`, `移动签服务暂时不可用（${res.status}）`);
    if (!res.ok) throw malformed(`mobile service refused ${method} ${path}: ${res.status} ${text.slice(0, 200)}`);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw malformed(`mobile service sent non-JSON for ${method} ${path}`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw malformed(`mobile service answer does not fit the schema for ${method} ${path}: ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}`);
    return parsed.data;
  }
}

/** The body as text, refusing more than MAX_MOBILE_RESPONSE_BYTES before buffering it. */
async function readBounded(res: Response, timeout: AbortSignal): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? 0);
  if (declared > MAX_MOBILE_RESPONSE_BYTES) throw malformed(`mobile service answer too large: ${declared} bytes`);
  const reader = res.body?.getReader();
  if (!reader) return '';
  const parts: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > MAX_MOBILE_RESPONSE_BYTES) {
        await reader.cancel();
        throw malformed(`mobile service answer over ${MAX_MOBILE_RESPONSE_BYTES} bytes`);
      }
      parts.push(value);
    }
  } catch (error) {
    if (AssistantError.is(error)) throw error;
    if (timeout.aborted) throw unavailable('mobile service answer timed out', '移动签服务响应超时');
    throw unavailable(`mobile service answer broken: ${(error as Error).message}`, '移动签服务连接中断');
  }
  return Buffer.concat(parts).toString('utf8');
}
