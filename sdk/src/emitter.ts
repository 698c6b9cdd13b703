/** A minimal typed event emitter: `on` returns the function that unsubscribes. */
export class Emitter<Events extends Record<string, unknown[]>> {
  readonly #listeners: { [E in keyof Events]?: Set<(...args: Events[E]) => void> } = {};

  on<E extends keyof Events>(event: E, listener: (...args: Events[E]) => void): () => void {
    const set = (this.#listeners[event] ??= new Set());
    set.add(listener);
    return () => this.off(event, listener);
  }

  off<E extends keyof Events>(event: E, listener: (...args: Events[E]) => void): void {
    this.#listeners[event]?.delete(listener);
  }

  emit<E extends keyof Events>(event: E, ...args: Events[E]): void {
    for (const listener of [...(this.#listeners[event] ?? [])]) {
      try {
        listener(...args);
      } catch (error) {
        // A page's listener must not break the client; surface it like an unhandled error.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}
