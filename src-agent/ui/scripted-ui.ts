import type { ConsentAnswer, ConsentRequest, Notice, PinAnswer, PinRequest, UiPort } from './port.js';

/** Requests and notices a ScriptedUi keeps, newest last (default 1000): `serve --scripted-ui-pins` runs for hours in load tests. */
const RECORD_MAX = 1000;

function record<T>(list: T[], item: T): void {
  list.push(item);
  if (list.length > RECORD_MAX) list.splice(0, list.length - RECORD_MAX);
}

type PinScript = string | 'cancel' | 'pin-pad' | ((request: PinRequest) => PinAnswer | Promise<PinAnswer>);
type ConsentScript = ConsentAnswer | ((request: ConsentRequest) => ConsentAnswer | Promise<ConsentAnswer>);

/**
 * A UI port whose answers are scripted: for tests, and for `serve --scripted-ui`
 * (only honoured under an explicit test flag). Records every request it saw.
 */
export class ScriptedUi implements UiPort {
  readonly pinRequests: PinRequest[] = [];
  readonly consentRequests: ConsentRequest[] = [];
  readonly notices: Notice[] = [];
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
}
