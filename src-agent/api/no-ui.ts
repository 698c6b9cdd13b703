import type { ConsentAnswer, Notice, PinAnswer, PinRequest, UiPort } from '../ui/port.js';
import { logger } from '../util/log.js';

const log = logger('no-ui');

/**
 * The UI port when neither Electron nor the headless UI is available: every
 * PIN dialog is cancelled and every consent denied, with a Chinese line on
 * `out` saying why. Safe by construction: nothing can sign through it.
 */
export class NoUi implements UiPort {
  constructor(private readonly out: NodeJS.WritableStream = process.stderr) {}

  async askPin(request: PinRequest): Promise<PinAnswer> {
    this.out.write(`没有可用的 PIN 输入窗口，已取消 ${request.origin ?? '互认助手'} 对 CA 锁“${request.token.label}”的签名请求。\n`);
    log.warn('PIN dialog unavailable; cancelled', { origin: request.origin, tokenId: request.token.id });
    return { kind: 'cancel' };
  }

  async askConsent(request: { origin: string; method: string }): Promise<ConsentAnswer> {
    this.out.write(`没有可用的授权窗口，已拒绝网站 ${request.origin} 调用 ${request.method}。\n`);
    log.warn('consent dialog unavailable; denied', { origin: request.origin, method: request.method });
    return 'deny';
  }

  notify(notice: Notice): void {
    if (notice.kind === 'signed') this.out.write(`已签名：${notice.certSubject}${notice.documentName ? `（${notice.documentName}）` : ''}，来自 ${notice.origin ?? '互认助手'}\n`);
    else this.out.write(`${notice.textZh}\n`);
  }
}
