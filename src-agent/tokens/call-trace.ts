import type { TraceEntry } from './host-protocol.js';

/** Trace entries kept before the oldest are dropped (default 2000). */
const TRACE_MAX = 2000;

/**
 * The call trace a provider keeps in its token host for `diagnose --trace`:
 * function, redacted arguments, return code, duration. Records nothing when off.
 */
export class CallTrace {
  readonly #entries: TraceEntry[] | undefined;

  constructor(enabled: boolean) {
    this.#entries = enabled ? [] : undefined;
  }

  /** Records one call that started at `started` (performance.now()). */
  record(fn: string, args: string, rv: string, started: number): void {
    if (!this.#entries) return;
    this.#entries.push({ fn, args, rv, ms: Math.round((performance.now() - started) * 1000) / 1000 });
    if (this.#entries.length > TRACE_MAX) this.#entries.shift();
  }

  /** Returns the entries recorded so far and clears them. */
  take(): TraceEntry[] {
    return this.#entries ? this.#entries.splice(0) : [];
  }
}
