/** The user's clicks in a 移动签 dialog, in order, for `MobileSignDialog.nextAction`. */
export class ActionQueue<A> {
  readonly #queued: A[] = [];
  readonly #waiting: ((action: A) => void)[] = [];
  #final: A | undefined;

  push(action: A): void {
    if (this.#final !== undefined) return;
    const waiter = this.#waiting.shift();
    if (waiter) waiter(action);
    else this.#queued.push(action);
  }

  /** From now on every `next()` resolves with `action` (the dialog is gone). */
  end(action: A): void {
    if (this.#final !== undefined) return;
    this.#final = action;
    for (const waiter of this.#waiting.splice(0)) waiter(action);
  }

  next(): Promise<A> {
    const queued = this.#queued.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.#final !== undefined) return Promise.resolve(this.#final);
    return new Promise((resolve) => this.#waiting.push(resolve));
  }
}
