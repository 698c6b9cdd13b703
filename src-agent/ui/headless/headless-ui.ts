import { randomUUID } from 'node:crypto';
import { DIALOG_TIMEOUT_MS } from '../../limits.js';
import { logger } from '../../util/log.js';
import { TypedEmitter } from '../../util/typed-emitter.js';
import type { BridgeEventMap, BridgeEventName, ConfirmDialogView, ConsentDialogView, MobileSignDialogView, NoticeView, PendingDialogView, PinDialogView } from '../bridge.js';
import type { ConsentAnswer, ConsentRequest, MobileSignDialog, MobileSignRequest, Notice, PinAnswer, PinRequest, UiPort } from '../port.js';
import { MobileDialogs } from './mobile-dialogs.js';

const log = logger('headless-ui');

type Events = { [E in BridgeEventName]: [BridgeEventMap[E]] };

type DialogKind = 'pin' | 'consent' | 'confirm';
type DialogView = PinDialogView | ConsentDialogView | ConfirmDialogView;
type ConfirmAnswer = 'confirm' | 'cancel';
type AnyPending = Pending<PinAnswer> | Pending<ConsentAnswer> | Pending<ConfirmAnswer>;

interface Pending<A> {
  kind: DialogKind;
  view: DialogView;
  settle(answer: A, reason: 'answered' | 'cancelled' | 'timeout'): void;
}

/** The host of an origin for display (`mall.example.gov.cn`), or the origin itself when unparsable. */
export function hostOf(origin: string | null): string | null {
  if (origin === null) return null;
  try {
    return new URL(origin).host;
  } catch {
    return origin;
  }
}

/** CN of an RFC 4514 subject (`CN=…, O=…`), or the whole subject. */
export function commonName(subject: string): string {
  return /(?:^|,\s*)CN=((?:\\,|[^,])+)/.exec(subject)?.[1]?.replace(/\\,/g, ',') ?? subject;
}

/**
 * The UI port behind the headless web UI: each PIN or consent request becomes
 * a pending dialog, pushed to the pages as an event and answered through the
 * bridge. A request ends when answered, when its signal aborts, or after
 * `dialogTimeoutMs` (cancel / deny). Notices become `notice` events.
 */
export class HeadlessUi extends TypedEmitter<Events> implements UiPort {
  readonly #pending = new Map<string, AnyPending>();
  readonly #mobile = new MobileDialogs(
    { changed: (view) => this.emit('mobileSign', view), closed: (id, reason) => this.emit('requestClosed', { id, reason }) },
    (origin) => hostOf(origin) ?? origin,
  );

  constructor(private readonly options: { dialogTimeoutMs?: number } = {}) {
    super();
  }

  /** Dialogs open right now, oldest first (replayed to pages that connect). */
  pending(): PendingDialogView[] {
    return [...this.#pending.values()].map(({ kind, view }) => ({ kind, view }) as PendingDialogView);
  }

  askPin(request: PinRequest, signal?: AbortSignal): Promise<PinAnswer> {
    const view: PinDialogView = {
      id: randomUUID(),
      origin: request.origin,
      host: hostOf(request.origin),
      ...(request.purpose ? { purpose: request.purpose } : {}),
      token: { id: request.token.id, label: request.token.label, serial: request.token.serial },
      pin: { ...request.pin },
      attempt: request.attempt,
      ...(request.cert ? { cert: { ...request.cert, name: commonName(request.cert.subject) } } : {}),
      ...(request.documentName !== undefined ? { documentName: request.documentName } : {}),
      ...(request.lastError ? { lastError: request.lastError } : {}),
      ...(request.reuseMinutes ? { reuseMinutes: request.reuseMinutes } : {}),
    };
    return this.#open<PinAnswer>('pin', view, { kind: 'cancel' }, signal);
  }

  /** 移动签 QR dialogs open right now (replayed to pages that connect). */
  pendingMobile(): MobileSignDialogView[] {
    return this.#mobile.views();
  }

  openMobileSign(request: MobileSignRequest, signal?: AbortSignal): MobileSignDialog {
    return this.#mobile.open(request, signal);
  }

  /** A click in a 移动签 dialog; false when no such dialog is open. */
  answerMobileSign(id: string, action: 'refresh' | 'cancel'): boolean {
    return this.#mobile.answer(id, action);
  }

  askConsent(request: ConsentRequest, signal?: AbortSignal): Promise<ConsentAnswer> {
    const view: ConsentDialogView = { id: randomUUID(), origin: request.origin, host: hostOf(request.origin) ?? request.origin, method: request.method, ...(request.documentName !== undefined ? { documentName: request.documentName } : {}) };
    return this.#open<ConsentAnswer>('consent', view, 'deny', signal);
  }

  /**
   * Asks the user to confirm a change of drivers (a module is code the next
   * start loads into a token host). Resolves 'cancel' when not answered in time.
   */
  askConfirm(request: { kind: 'modules'; before: string[]; after: string[] }, signal?: AbortSignal): Promise<ConfirmAnswer> {
    const view: ConfirmDialogView = { id: randomUUID(), kind: request.kind, before: [...request.before], after: [...request.after] };
    return this.#open<ConfirmAnswer>('confirm', view, 'cancel', signal);
  }

  answerConfirm(id: string, answer: ConfirmAnswer): boolean {
    const pending = this.#pending.get(id);
    if (!pending || pending.kind !== 'confirm') return false;
    (pending as Pending<ConfirmAnswer>).settle(answer, 'answered');
    return true;
  }

  notify(notice: Notice): void {
    const time = new Date().toISOString();
    const view: NoticeView =
      notice.kind === 'signed'
        ? { kind: 'signed', origin: notice.origin, host: hostOf(notice.origin), certName: commonName(notice.certSubject), time: notice.time || time, ...(notice.documentName !== undefined ? { documentName: notice.documentName } : {}) }
        : { kind: 'info', origin: null, host: null, textZh: notice.textZh, time, ...(notice.textEn !== undefined ? { textEn: notice.textEn } : {}) };
    this.emit('notice', view);
  }

  /**
   * Answers a PIN dialog. `pin` holds the UTF-8 bytes; they are copied into a
   * Buffer (zeroed by the agent after login) and the array is zeroed here.
   * `reuse`: the user ticked “本次会话 N 分钟内不再询问” (honoured only when the dialog offered it).
   * Returns false when no such dialog is open.
   */
  answerPin(id: string, kind: 'pin' | 'pin-pad' | 'cancel', pin?: number[], reuse = false): boolean {
    const pending = this.#pending.get(id);
    if (!pending || pending.kind !== 'pin') {
      pin?.fill(0);
      return false;
    }
    const ticked = reuse && (pending.view as PinDialogView).reuseMinutes !== undefined ? { reuse: true } : {};
    let answer: PinAnswer;
    if (kind === 'pin') {
      answer = { kind: 'pin', pin: Buffer.from(pin ?? []), ...ticked };
      pin?.fill(0);
    } else answer = kind === 'pin-pad' ? { kind, ...ticked } : { kind };
    (pending as Pending<PinAnswer>).settle(answer, 'answered');
    return true;
  }

  answerConsent(id: string, answer: ConsentAnswer): boolean {
    const pending = this.#pending.get(id);
    if (!pending || pending.kind !== 'consent') return false;
    (pending as Pending<ConsentAnswer>).settle(answer, 'answered');
    return true;
  }

  /** Emits a token change to the pages (wired by the headless server). */
  tokensChanged(payload: BridgeEventMap['tokensChanged']): void {
    this.emit('tokensChanged', payload);
  }

  /** Emits 环境检测 progress to the pages. */
  checkProgress(payload: BridgeEventMap['checkProgress']): void {
    this.emit('checkProgress', payload);
  }

  /** Cancels every open dialog (shutdown). */
  cancelAll(): void {
    this.#mobile.cancelAll();
    for (const id of [...this.#pending.keys()]) {
      const p = this.#pending.get(id);
      if (p?.kind === 'pin') (p as Pending<PinAnswer>).settle({ kind: 'cancel' }, 'cancelled');
      else if (p?.kind === 'confirm') (p as Pending<ConfirmAnswer>).settle('cancel', 'cancelled');
      else (p as Pending<ConsentAnswer> | undefined)?.settle('deny', 'cancelled');
    }
  }

  #open<A extends PinAnswer | ConsentAnswer | ConfirmAnswer>(kind: DialogKind, view: DialogView, fallback: A, signal?: AbortSignal): Promise<A> {
    return new Promise<A>((resolve) => {
      const timer = setTimeout(() => settle(fallback, 'timeout'), this.options.dialogTimeoutMs ?? DIALOG_TIMEOUT_MS);
      timer.unref();
      const onAbort = (): void => settle(fallback, 'cancelled');
      const settle = (answer: A, reason: 'answered' | 'cancelled' | 'timeout'): void => {
        if (!this.#pending.delete(view.id)) {
          if (typeof answer === 'object' && answer.kind === 'pin') answer.pin.fill(0);
          return;
        }
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        log.info('dialog closed', { kind, id: view.id, reason });
        this.emit('requestClosed', { id: view.id, reason });
        resolve(answer);
      };
      this.#pending.set(view.id, { kind, view, settle } as Pending<A> as AnyPending);
      if (signal?.aborted) return settle(fallback, 'cancelled');
      signal?.addEventListener('abort', onAbort, { once: true });
      log.info('dialog opened', { kind, id: view.id, origin: 'origin' in view ? view.origin : null });
      if (kind === 'pin') this.emit('pinRequest', view as PinDialogView);
      else if (kind === 'confirm') this.emit('confirmRequest', view as ConfirmDialogView);
      else this.emit('consentRequest', view as ConsentDialogView);
    });
  }
}
