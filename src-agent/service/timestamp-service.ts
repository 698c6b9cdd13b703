/**
 * Adds RFC 3161 signature time-stamps to CMS signatures, from the TSA the
 * config names (`timestamp.url`; never a URL from a page). Fails closed: a
 * signature that asked for a time-stamp never comes back without one.
 */
import { MAX_TIMESTAMP_RESPONSE_BYTES } from '../limits.js';
import { AssistantError } from '../protocol/errors.js';
import { logger } from '../util/log.js';

const log = logger('timestamp');

/** The config's `timestamp` section, as the service needs it. */
export interface TimestampSettings {
  url?: string;
  authorization?: string;
  timeoutMs: number;
}

const unavailable = (log: string, detailZh: string): AssistantError => new AssistantError('TIMESTAMP_UNAVAILABLE', log, { detailZh });

async function readCapped(res: Response, cap: number): Promise<Buffer> {
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > cap) throw new AssistantError('TIMESTAMP_INVALID', `TSA answer of ${declared} bytes`, { detailZh: '时间戳服务的应答过大' });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > cap) throw new AssistantError('TIMESTAMP_INVALID', `TSA answer over ${cap} bytes`, { detailZh: '时间戳服务的应答过大' });
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

export class TimestampService {
  constructor(private readonly settings: TimestampSettings, private readonly tsaAnchors: () => Buffer[]) {}

  /** True when a TSA is configured. */
  get configured(): boolean {
    return this.settings.url !== undefined;
  }

  /**
   * `cms` with a signature time-stamp on its (only) SignerInfo, verified before it is returned.
   * @throws AssistantError TIMESTAMP_NOT_CONFIGURED, TIMESTAMP_UNAVAILABLE (down, slow, HTTP error), TIMESTAMP_INVALID.
   */
  async stamp(cms: Buffer, signal?: AbortSignal): Promise<Buffer> {
    const url = this.settings.url;
    if (!url) throw new AssistantError('TIMESTAMP_NOT_CONFIGURED', 'a time-stamp was asked for but timestamp.url is not set');
    const tsp = await import('../pki/timestamp/index.js');
    const request = await tsp.buildTimestampRequest(await tsp.signatureValueOf(cms));
    const answer = await this.post(url, request.der, signal);
    const token = await tsp.readTimestampResponse(answer, request);
    const stamped = await tsp.addSignatureTimestamp(cms, token);
    const anchors = this.tsaAnchors();
    if (anchors.length > 0) {
      const [check] = await tsp.verifySignatureTimestamps(stamped, anchors);
      if (!check?.valid) {
        log.warn('time-stamp does not verify', { problems: check?.problems.map((p) => p.code) });
        throw new AssistantError('TIMESTAMP_INVALID', 'the fresh time-stamp does not verify against timestamp.trustAnchors', {
          detailZh: check?.problems[0]?.zh ?? '时间戳无法验证',
        });
      }
    }
    return stamped;
  }

  private async post(url: string, body: Buffer, signal?: AbortSignal): Promise<Buffer> {
    const timeout = AbortSignal.timeout(this.settings.timeoutMs);
    const headers: Record<string, string> = { 'content-type': 'application/timestamp-query', accept: 'application/timestamp-reply' };
    if (this.settings.authorization) headers.authorization = this.settings.authorization;
    let res: Response;
    try {
      res = await fetch(url, { method: 'POST', headers, body: new Uint8Array(body), redirect: 'error', signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
    } catch (error) {
      if (signal?.aborted) throw new AssistantError('USER_CANCELLED', 'request closed while waiting for the TSA');
      if (timeout.aborted) throw unavailable(`TSA ${url} did not answer in ${this.settings.timeoutMs} ms`, `时间戳服务在 ${Math.round(this.settings.timeoutMs / 1000)} 秒内没有应答`);
      log.warn('TSA unreachable', { url, error: (error as Error).message });
      throw unavailable(`TSA ${url} unreachable: ${(error as Error).message}`, '无法连接时间戳服务');
    }
    if (res.status !== 200) {
      await res.body?.cancel();
      throw unavailable(`TSA ${url} answered HTTP ${res.status}`, `时间戳服务返回错误（HTTP ${res.status}）`);
    }
    const type = res.headers.get('content-type')?.split(';')[0]?.trim();
    if (type !== 'application/timestamp-reply') {
      await res.body?.cancel();
      throw new AssistantError('TIMESTAMP_INVALID', `TSA ${url} answered ${type ?? 'no content type'}`, { detailZh: '时间戳服务的应答不是时间戳格式' });
    }
    try {
      return await readCapped(res, MAX_TIMESTAMP_RESPONSE_BYTES);
    } catch (error) {
      if (error instanceof AssistantError) throw error;
      if (timeout.aborted) throw unavailable(`TSA ${url} answer timed out`, `时间戳服务在 ${Math.round(this.settings.timeoutMs / 1000)} 秒内没有应答`);
      throw unavailable(`TSA ${url} answer broke off: ${(error as Error).message}`, '时间戳服务的应答中断');
    }
  }
}
