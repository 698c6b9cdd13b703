/**
 * The consent dialog's bounds across all connections: at most
 * MAX_PENDING_CONSENTS_PER_ORIGIN open per origin and MAX_PENDING_CONSENTS_TOTAL
 * together (the rest refused BUSY at once, never queued), and the origins the
 * user answered 拒绝 for, refused for the rest of the run whatever connection
 * or method they come back with. “始终拒绝” lives in the ConsentStore.
 */
import { MAX_PENDING_CONSENTS_PER_ORIGIN, MAX_PENDING_CONSENTS_TOTAL } from '../limits.js';
import { AssistantError } from '../protocol/errors.js';

export class ConsentGate {
  readonly #open = new Map<string, number>();
  #total = 0;
  readonly #denied = new Set<string>();

  /** The user answered 拒绝 for this origin in this run. */
  denied(origin: string): boolean {
    return this.#denied.has(origin);
  }

  deny(origin: string): void {
    this.#denied.add(origin);
  }

  /**
   * Runs `ask` as one open dialog of `origin`.
   * @throws AssistantError BUSY when the origin (or everyone together) has its dialogs open already.
   */
  async run<T>(origin: string, ask: () => Promise<T>): Promise<T> {
    const mine = this.#open.get(origin) ?? 0;
    if (mine >= MAX_PENDING_CONSENTS_PER_ORIGIN || this.#total >= MAX_PENDING_CONSENTS_TOTAL) {
      throw new AssistantError('BUSY', `consent dialog of ${origin} already open (${mine} of this origin, ${this.#total} in all)`, {
        detailZh: '互认助手中已有授权窗口在等待回答，请先在互认助手中处理。',
      });
    }
    this.#open.set(origin, mine + 1);
    this.#total++;
    try {
      return await ask();
    } finally {
      const left = (this.#open.get(origin) ?? 1) - 1;
      if (left > 0) this.#open.set(origin, left);
      else this.#open.delete(origin);
      this.#total--;
    }
  }
}
