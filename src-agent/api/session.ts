import { randomUUID } from 'node:crypto';
import { notification } from '../protocol/jsonrpc.js';
import type { EventMap, EventName } from '../protocol/types.js';
import type { SiteRequester } from '../service/signing/index.js';
import type { OriginClass } from './origin-policy.js';
import { MAX_FRAMES_OVER_RATE, OVER_RATE_REFILL_PER_SECOND } from '../limits.js';
import { TokenBucket } from './rate-limiter.js';

/**
 * One WebSocket connection as the dispatcher and handlers see it: who is
 * calling and the per-connection limits. Never the socket itself: events go
 * out through `notify`.
 */
export class Session {
  readonly id = randomUUID();
  /** Requests started and not yet answered. */
  pending = 0;
  readonly bucket = new TokenBucket();
  /** BUSY answers for the rate this connection may still get; when empty the server closes it (shedding). */
  readonly overRate = new TokenBucket(OVER_RATE_REFILL_PER_SECOND, MAX_FRAMES_OVER_RATE);
  /** Set once the connection ran out of `overRate`: nothing more of it is parsed. */
  flooding = false;
  readonly #closed = new AbortController();

  constructor(
    /** The `Origin` header as sent. */
    readonly origin: string,
    readonly originClass: OriginClass,
    private readonly send: (frame: string) => void = () => undefined,
  ) {}

  get trusted(): boolean {
    return this.originClass === 'trusted';
  }

  /** Aborted when the connection closes (pending dialogs give up). */
  get signal(): AbortSignal {
    return this.#closed.signal;
  }

  /** The connection as the signing use case sees it. */
  get requester(): SiteRequester {
    return { kind: 'site', origin: this.origin, trusted: this.trusted, signal: this.signal };
  }

  notify<E extends EventName>(method: E, params: EventMap[E]): void {
    if (!this.signal.aborted) this.send(JSON.stringify(notification(method, params)));
  }

  close(): void {
    this.#closed.abort();
  }
}
