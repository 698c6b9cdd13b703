/**
 * When a signature may use a logged-in token, per (token, origin). As the mall
 * manual has it, a signature asks the CA password in the assistant's dialog
 * ("系统会自动弹窗，需输入ca密码"). A login is reused only
 *
 * - by the same origin, within the N minutes the user chose by ticking
 *   “本次会话 N 分钟内不再询问” in that dialog (off by default; N is `pinReuseMinutes`), or
 * - by a trusted origin listed in `pinReuseOrigins` (silent batches), for its minutes.
 *
 * Never across origins: PKCS#11 login is per token, so a new origin proves it
 * has the user's PIN by logging the token in itself (after a C_Logout); the
 * grants other origins hold stay theirs. A login nobody may reuse is logged
 * out right after its signature. Grants end when they expire, on logout and on
 * removal.
 */
import { DIALOG_TIMEOUT_MS, MAX_QUEUED_SIGNATURES_PER_ORIGIN } from '../../limits.js';
import { AssistantError } from '../../protocol/errors.js';
import type { TokenManager } from '../../tokens/token-manager.js';
import type { TokenInfo } from '../../tokens/types.js';
import type { PinAnswer, PinRequest, UiPort } from '../../ui/port.js';
import { logger } from '../../util/log.js';
import type { CertEntry, CertificateService } from '../cert-service.js';
import { FairQueue } from './fair-queue.js';

const log = logger('login-policy');
const MINUTE_MS = 60_000;

/** A request to use a certificate's key. */
export interface KeyUse {
  /** The web origin asking; null for the user in the assistant. */
  origin: string | null;
  /** The origin is in `trustedOrigins` (may have a `pinReuseOrigins` entry). */
  trusted: boolean;
  /** What the site claims it signs, shown in the PIN dialog. */
  documentName?: string;
  /** Aborted when the connection goes away. */
  signal?: AbortSignal;
  /** Any active login will do (环境检测's test signature, which hands nothing out). */
  anyLogin?: boolean;
}

export interface LoginPolicyOptions {
  tokens: TokenManager;
  certs: CertificateService;
  ui: UiPort;
  /** N of the dialog's reuse tick, minutes (config `pinReuseMinutes`; 0: no tick). */
  pinReuseMinutes: number;
  /** Trusted origins reusing their login without the tick, minutes (config `pinReuseOrigins`). */
  pinReuseOrigins?: Readonly<Record<string, number>>;
  /** PIN dialog timeout, ms (default DIALOG_TIMEOUT_MS). */
  dialogTimeoutMs?: number;
  /** Wrong PINs asked again before the error goes to the caller (default: until cancelled or locked; the CLI: 1). */
  maxPinAttempts?: number;
  now?: () => number;
}

/** origin (null = the user in the assistant) → the time its reuse ends, ms. */
type Grants = Map<string | null, number>;

export class LoginPolicy {
  readonly #grants = new Map<string, Grants>();
  /** One call per token at a time, origins taking turns, a bound per origin (across its connections). */
  readonly #queue = new FairQueue(MAX_QUEUED_SIGNATURES_PER_ORIGIN);
  readonly #now: () => number;
  readonly #sweep: NodeJS.Timeout;
  readonly #offChanged: () => void;

  constructor(private readonly options: LoginPolicyOptions) {
    this.#now = options.now ?? Date.now;
    this.#offChanged = options.tokens.on('changed', (tokens) => this.#onChanged(tokens));
    this.#sweep = setInterval(() => void this.#expire(), 1000);
    this.#sweep.unref();
  }

  /**
   * Records a login the user made in the assistant itself (环境检测). It serves
   * the user (origin null) for `pinReuseMinutes`, never a site.
   */
  registerUserLogin(tokenId: string): void {
    this.registerLogin(tokenId, null);
  }

  /**
   * Records a login made outside {@link withLogin}. null is the user's own
   * login in the assistant (环境检测): it serves the user for
   * `pinReuseMinutes`, never a site. A site's login (a page-initiated
   * 环境检测) grants nothing, to that site or any other: it is logged out at
   * the next sweep, so every origin's next signature asks its own PIN.
   */
  registerLogin(tokenId: string, origin: string | null): void {
    if (origin === null) this.#grantsOf(tokenId).set(null, this.#now() + Math.max(1, this.options.pinReuseMinutes) * MINUTE_MS);
    // An already-expired grant: the sweep logs the token out unless someone else's grant is live.
    else if (!this.#live(tokenId, origin)) this.#grantsOf(tokenId).set(origin, this.#now());
  }

  /**
   * Runs `op` with the certificate's token logged in for `use.origin`, asking
   * the PIN unless this origin holds a live reuse grant. Calls on one token run
   * one at a time (so at most one PIN dialog per token), origins taking turns;
   * an origin may have MAX_QUEUED_SIGNATURES_PER_ORIGIN calls queued per token.
   * @throws AssistantError BUSY (too many queued for this origin), PIN_LOCKED (no dialog shown), USER_CANCELLED, TIMEOUT, TOKEN_REMOVED, and whatever `op` throws.
   */
  async withLogin<T>(use: KeyUse, entry: CertEntry, op: () => Promise<T>): Promise<T> {
    const tokenId = entry.token.tokenId;
    return this.#queue.run(tokenId, use.origin, async () => {
      const token = this.#token(tokenId);
      if (token.pin.locked) throw new AssistantError('PIN_LOCKED', 'PIN locked; no dialog shown', { retriesLeft: 0 });
      if (token.loggedIn && (use.anyLogin || this.#live(tokenId, use.origin))) return op();
      await this.#login(use, entry, token);
      try {
        return await op();
      } finally {
        // Nobody may reuse this login: it ends with its signature.
        if (!this.#anyLive(tokenId)) await this.#logoutQuietly(tokenId);
      }
    });
  }

  /** Logs a token out and forgets every origin's login on it. */
  async logout(tokenId: string): Promise<void> {
    await this.#serialize(tokenId, async () => {
      this.#grants.delete(tokenId);
      const token = this.options.tokens.tokens().find((t) => t.id === tokenId);
      if (token?.loggedIn) await this.options.tokens.logout(tokenId);
    });
  }

  /** Logs out every token this policy holds a login for (shutdown). */
  async logoutAll(): Promise<void> {
    const ids = this.options.tokens.tokens().filter((t) => t.loggedIn).map((t) => t.id);
    await Promise.allSettled(ids.map((id) => this.logout(id)));
  }

  stop(): void {
    clearInterval(this.#sweep);
    this.#offChanged();
  }

  #token(tokenId: string): TokenInfo {
    const token = this.options.tokens.tokens().find((t) => t.id === tokenId);
    if (!token) throw new AssistantError('TOKEN_REMOVED', `token ${tokenId} not present`);
    return token;
  }

  #grantsOf(tokenId: string): Grants {
    let grants = this.#grants.get(tokenId);
    if (!grants) this.#grants.set(tokenId, (grants = new Map()));
    return grants;
  }

  #live(tokenId: string, origin: string | null): boolean {
    const until = this.#grants.get(tokenId)?.get(origin);
    return until !== undefined && this.#now() < until;
  }

  #anyLive(tokenId: string): boolean {
    return [...(this.#grants.get(tokenId)?.keys() ?? [])].some((origin) => this.#live(tokenId, origin));
  }

  /** Minutes a fresh login for `use` may be reused: the configured batch origin's, or the tick's when ticked. */
  #reuseMinutes(use: KeyUse, answer: PinAnswer): number {
    const configured = use.trusted && use.origin !== null ? this.options.pinReuseOrigins?.[use.origin] : undefined;
    if (configured) return configured;
    const ticked = answer.kind !== 'cancel' && answer.reuse === true;
    return ticked && this.#offersTick(use) ? this.options.pinReuseMinutes : 0;
  }

  #offersTick(use: KeyUse): boolean {
    return this.options.pinReuseMinutes > 0 && use.origin !== null;
  }

  async #login(use: KeyUse, entry: CertEntry, first: TokenInfo): Promise<void> {
    const { tokens } = this.options;
    let token = first;
    let lastError: PinRequest['lastError'];
    for (let attempt = 1; ; attempt++) {
      const answer = await this.#ask(use, entry, token, attempt, lastError);
      if (answer.kind === 'cancel') throw new AssistantError('USER_CANCELLED', 'PIN dialog cancelled');
      const pin = answer.kind === 'pin' ? answer.pin : Buffer.alloc(0);
      // Other origins' grants are their users' choices and outlive this re-login (the same PIN logs in again).
      const kept = new Map(this.#grants.get(token.id) ?? []);
      try {
        // Someone else's (or an expired) login is active: this origin proves the PIN itself.
        if (this.#token(token.id).loggedIn) await tokens.logout(token.id);
        await tokens.login(token.id, pin);
        const grants = this.#grantsOf(token.id);
        grants.clear();
        for (const [origin, until] of kept) if (origin !== use.origin && this.#now() < until) grants.set(origin, until);
        const minutes = this.#reuseMinutes(use, answer);
        if (minutes > 0) grants.set(use.origin, this.#now() + minutes * MINUTE_MS);
        if (grants.size === 0) this.#grants.delete(token.id);
        log.info('logged in', { tokenId: token.id, origin: use.origin, reuseMinutes: minutes });
        return;
      } catch (error) {
        if (!AssistantError.is(error) || (error.reason !== 'PIN_INCORRECT' && error.reason !== 'PIN_LEN_RANGE')) throw error;
        if (attempt >= (this.options.maxPinAttempts ?? Infinity)) throw error;
        token = this.#token(token.id);
        if (token.pin.locked) throw new AssistantError('PIN_LOCKED', 'PIN locked after a wrong PIN', { retriesLeft: 0 });
        lastError = error.reason;
        log.info('wrong PIN; asking again', { tokenId: token.id, origin: use.origin, attempt });
      } finally {
        pin.fill(0);
      }
    }
  }

  async #ask(use: KeyUse, entry: CertEntry, token: TokenInfo, attempt: number, lastError: PinRequest['lastError']): Promise<PinAnswer> {
    const request: PinRequest = {
      origin: use.origin,
      token: { id: token.id, label: token.label, manufacturer: token.manufacturer, serial: token.serial },
      cert: { subject: entry.details.subject, issuer: entry.details.issuer, notAfter: entry.details.notAfter, kind: entry.details.kind },
      pin: { ...token.pin },
      attempt,
      ...(use.documentName !== undefined ? { documentName: use.documentName } : {}),
      ...(lastError ? { lastError } : {}),
      ...(this.#offersTick(use) ? { reuseMinutes: this.options.pinReuseMinutes } : {}),
    };
    const timeout = AbortSignal.timeout(this.options.dialogTimeoutMs ?? DIALOG_TIMEOUT_MS);
    const signal = use.signal ? AbortSignal.any([use.signal, timeout]) : timeout;
    return new Promise<PinAnswer>((resolve, reject) => {
      const onAbort = (): void => {
        if (timeout.aborted) reject(new AssistantError('TIMEOUT', 'PIN dialog timed out'));
        else reject(new AssistantError('USER_CANCELLED', 'connection closed while the PIN dialog was open'));
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      this.options.ui.askPin(request, signal).then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    }).catch((error: unknown) => {
      throw AssistantError.is(error) ? error : new AssistantError('INTERNAL', `PIN dialog failed: ${String(error)}`);
    });
  }

  async #logoutQuietly(tokenId: string): Promise<void> {
    this.#grants.delete(tokenId);
    const token = this.options.tokens.tokens().find((t) => t.id === tokenId);
    if (!token?.loggedIn) return;
    await this.options.tokens.logout(tokenId).catch((error: unknown) => log.warn('logout after a single-use login failed', { tokenId, error: String(error) }));
  }

  /** Runs `body` in the token's queue as the assistant's own job (logout, expiry), never refused. */
  #serialize<T>(tokenId: string, body: () => Promise<T>): Promise<T> {
    return this.#queue.run(tokenId, '\u0000assistant', body, false);
  }

  #onChanged(tokens: TokenInfo[]): void {
    for (const tokenId of [...this.#grants.keys()]) {
      const token = tokens.find((t) => t.id === tokenId);
      if (!token || !token.loggedIn) this.#grants.delete(tokenId);
    }
  }

  /** Logs out tokens whose every grant has expired. */
  async #expire(): Promise<void> {
    for (const [tokenId, grants] of [...this.#grants]) {
      if (this.#anyLive(tokenId) || grants.size === 0) continue;
      if (this.#queue.busy(tokenId)) continue;
      await this.#serialize(tokenId, async () => {
        if (this.#anyLive(tokenId)) return;
        await this.#logoutQuietly(tokenId);
        log.info('reuse ended; logged out', { tokenId });
      }).catch((error: unknown) => log.warn('logout after reuse failed', { tokenId, error: String(error) }));
    }
  }
}
