import { ActionQueue } from './action-queue.js';
import type { ConsentAnswer, ConsentRequest, MobileSignDialog, MobileSignRequest, MobileSignState, Notice, PinAnswer, PinRequest, UiPort } from './port.js';

/** A 移动签 dialog as a ScriptedUi saw it: the request, every QR shown, every state, and whether it is still open. */
export interface ScriptedMobileDialog {
  request: MobileSignRequest;
  qrs: { text: string; expiresAt: string }[];
  states: MobileSignState[];
  open: boolean;
  /** Clicks 刷新二维码 / 取消 in this dialog. */
  click(action: 'refresh' | 'cancel'): void;
}

/** Requests and notices a ScriptedUi keeps, newest last (default 1000): `serve --scripted-ui-pins` runs for hours in load tests. */
const RECORD_MAX = 1000;

function record<T>(list: T[], item: T): void {
  list.push(item);
  if (list.length > RECORD_MAX) list.splice(0, list.length - RECORD_MAX);
}

/** A PIN typed; `{ pin, reuse: true }` also ticks “本次会话 N 分钟内不再询问”. */
type PinScript = string | { pin: string; reuse: boolean } | 'cancel' | 'pin-pad' | ((request: PinRequest) => PinAnswer | Promise<PinAnswer>);
type ConsentScript = ConsentAnswer | ((request: ConsentRequest) => ConsentAnswer | Promise<ConsentAnswer>);

/**
 * A UI port whose answers are scripted: for tests, and for `serve --scripted-ui`
 * (only honoured under an explicit test flag). Records every request it saw.
 */
export class ScriptedUi implements UiPort {
  readonly pinRequests: PinRequest[] = [];
  readonly consentRequests: ConsentRequest[] = [];
  readonly notices: Notice[] = [];
  readonly mobileDialogs: ScriptedMobileDialog[] = [];
  readonly #mobileOpened: ((dialog: ScriptedMobileDialog) => void)[] = [];
  #pins: PinScript[] = [];
  #consents: ConsentScript[] = [];

  /** Queues answers for the next PIN dialogs (a string is the PIN typed). */
  answerPins(...answers: PinScript[]): this {
    this.#pins.push(...answers);
    return this;
  }

  answerConsents(...answers: ConsentScript[]): this {
    this.#consents.push(...answers);
    return this;
  }

  /** Drops the queued answers that were not used. */
  clearAnswers(): this {
    this.#pins = [];
    this.#consents = [];
    return this;
  }

  async askPin(request: PinRequest): Promise<PinAnswer> {
    record(this.pinRequests, request);
    const next = this.#pins.shift();
    if (next === undefined || next === 'cancel') return { kind: 'cancel' };
    if (next === 'pin-pad') return { kind: 'pin-pad' };
    if (typeof next === 'function') return next(request);
    if (typeof next === 'object') return { kind: 'pin', pin: Buffer.from(next.pin, 'utf8'), ...(next.reuse ? { reuse: true } : {}) };
    return { kind: 'pin', pin: Buffer.from(next, 'utf8') };
  }

  async askConsent(request: ConsentRequest): Promise<ConsentAnswer> {
    record(this.consentRequests, request);
    const next = this.#consents.shift();
    if (next === undefined) return 'deny';
    return typeof next === 'function' ? next(request) : next;
  }

  notify(notice: Notice): void {
    record(this.notices, notice);
  }

  /** Resolves with the next 移动签 dialog opened (or the newest open one, if `existing`). */
  nextMobileDialog(existing = false): Promise<ScriptedMobileDialog> {
    const last = this.mobileDialogs.at(-1);
    if (existing && last?.open) return Promise.resolve(last);
    return new Promise((resolve) => this.#mobileOpened.push(resolve));
  }

  openMobileSign(request: MobileSignRequest, signal?: AbortSignal): MobileSignDialog {
    const actions = new ActionQueue<'refresh' | 'cancel'>();
    const dialog: ScriptedMobileDialog = { request, qrs: [], states: [], open: true, click: (a) => actions.push(a) };
    const close = (): void => {
      dialog.open = false;
      actions.end('cancel');
    };
    signal?.addEventListener('abort', close, { once: true });
    record(this.mobileDialogs, dialog);
    for (const waiter of this.#mobileOpened.splice(0)) waiter(dialog);
    return {
      showQr: async (qr) => void dialog.qrs.push(qr),
      update: (state) => void dialog.states.push(state),
      nextAction: () => actions.next(),
      close,
    };
  }
}
