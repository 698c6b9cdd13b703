import { REQUEST_BURST, REQUESTS_PER_SECOND } from '../limits.js';

/**
 * A token bucket: `rate` tokens a second up to `burst`. One bucket per
 * connection, so a flooding page gets BUSY and the others are unaffected.
 */
export class TokenBucket {
  #tokens: number;
  #last: number;

  constructor(
    private readonly rate = REQUESTS_PER_SECOND,
    private readonly burst = REQUEST_BURST,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.#tokens = burst;
    this.#last = now();
  }

  /** Takes one token; false when the bucket is empty. */
  take(): boolean {
    const now = this.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) / 1000) * this.rate);
    this.#last = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
