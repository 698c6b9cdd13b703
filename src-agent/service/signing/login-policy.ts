/**
 * Who may use a logged-in token, per (token, origin). PKCS#11 login is per
 * token, so an origin proves it knows the PIN by logging the token in itself
 * (after a C_Logout when someone else's login is active). A login the user
 * made in 环境检测 (origin null) serves trusted origins until it has been
 * idle `pinCacheSeconds`. Every entry ends on idle timeout, logout or removal.
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

/** A request to use a certificate's key. */
export interface KeyUse {
  /** The web origin asking; null for the assistant itself. */
  origin: string | null;
  /** The origin is in `trustedOrigins` (may ride on a 环境检测 login). */
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
  /** Idle seconds after which a login stops serving anyone (config `pinCacheSeconds`). */
  pinCacheSeconds: number;
  /** PIN dialog timeout, ms (default DIALOG_TIMEOUT_MS). */
  dialogTimeoutMs?: number;
  /** Wrong PINs asked again before the error goes to the caller (default: until cancelled or locked; the CLI: 1). */
  maxPinAttempts?: number;
  now?: () => number;
}

/** origin (null = 环境检测) → last use, ms. */
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
    this.#sweep = setInterval(() => void this.#expireIdle(), Math.min(1000, Math.max(100, options.pinCacheSeconds * 500)));
    this.#sweep.unref();
  }

  /**
   * Records a login the user made in the assistant itself (环境检测): it then
   * serves trusted origins until idle for `pinCacheSeconds` or the key is removed.
   */
  registerUserLogin(tokenId: string): void {
    this.registerLogin(tokenId, null);
  }

  /**
   * Records a login made for `origin` outside {@link withLogin} (a
   * page-initiated 环境检测): it serves that origin only; null is the user's
   * login, which also serves trusted origins.
   */
  registerLogin(tokenId: string, origin: string | null): void {
    this.#grantsOf(tokenId).set(origin, this.#now());
  }

  /**
   * Runs `op` with the certificate's token logged in for `use.origin`, asking
   * the PIN when this origin has no live login. Calls on one token run one at
   * a time (so at most one PIN dialog per token), origins taking turns; an
   * origin may have MAX_QUEUED_SIGNATURES_PER_ORIGIN calls queued per token.
   * @throws AssistantError BUSY (too many queued for this origin), PIN_LOCKED (no dialog shown), USER_CANCELLED, TIMEOUT, TOKEN_REMOVED, and whatever `op` throws.
   */
  async withLogin<T>(use: KeyUse, entry: CertEntry, op: () => Promise<T>): Promise<T> {
    const tokenId = entry.token.tokenId;
    return this.#queue.run(tokenId, use.origin, async () => {
      const token = this.#token(tokenId);
      if (token.pin.locked) throw new AssistantError('PIN_LOCKED', 'PIN locked; no dialog shown', { retriesLeft: 0 });
      if (token.loggedIn && (use.anyLogin || this.#allowed(tokenId, use))) {
        this.#touch(tokenId, use);
        return op();
      }
      await this.#login(use, entry, token);
      return op();
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

  #fresh(lastUse: number | undefined): boolean {
    return lastUse !== undefined && this.#now() - lastUse <= this.options.pinCacheSeconds * 1000;
  }

  #allowed(tokenId: string, use: KeyUse): boolean {
    const grants = this.#grants.get(tokenId);
    if (!grants) return false;
    if (this.#fresh(grants.get(use.origin))) return true;
    return use.trusted && use.origin !== null && this.#fresh(grants.get(null));
  }

  #touch(tokenId: string, use: KeyUse): void {
    const grants = this.#grantsOf(tokenId);
    const key = this.#fresh(grants.get(use.origin)) ? use.origin : null;
    grants.set(key, this.#now());
  }

  async #login(use: KeyUse, entry: CertEntry, first: TokenInfo): Promise<void> {
    const { tokens } = this.options;
    let token = first;
    let lastError: PinRequest['lastError'];
    for (let attempt = 1; ; attempt++) {
      const answer = await this.#ask(use, entry, token, attempt, lastError);
      if (answer.kind === 'cancel') throw new AssistantError('USER_CANCELLED', 'PIN dialog cancelled');
      const pin = answer.kind === 'pin' ? answer.pin : Buffer.alloc(0);
      try {
        // Someone else's (or an expired) login is active: the new origin proves the PIN itself.
        if (this.#token(token.id).loggedIn) {
          this.#grants.delete(token.id);
          await tokens.logout(token.id);
        }
        await tokens.login(token.id, pin);
        this.#grants.delete(token.id);
        this.#grantsOf(token.id).set(use.origin, this.#now());
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

  /** Runs `body` in the token's queue as the assistant's own job (logout, idle expiry), never refused. */
  #serialize<T>(tokenId: string, body: () => Promise<T>): Promise<T> {
    return this.#queue.run(tokenId, '\u0000assistant', body, false);
  }

  #onChanged(tokens: TokenInfo[]): void {
    for (const tokenId of [...this.#grants.keys()]) {
      const token = tokens.find((t) => t.id === tokenId);
      if (!token || !token.loggedIn) this.#grants.delete(tokenId);
    }
  }

  /** Logs out tokens whose every login has been idle too long. */
  async #expireIdle(): Promise<void> {
    for (const [tokenId, grants] of [...this.#grants]) {
      if ([...grants.values()].some((lastUse) => this.#fresh(lastUse))) continue;
      if (this.#queue.busy(tokenId)) continue;
      await this.#serialize(tokenId, async () => {
        const current = this.#grants.get(tokenId);
        if (current && [...current.values()].some((lastUse) => this.#fresh(lastUse))) return;
        this.#grants.delete(tokenId);
        const token = this.options.tokens.tokens().find((t) => t.id === tokenId);
        if (token?.loggedIn) await this.options.tokens.logout(tokenId);
        log.info('idle login ended', { tokenId });
      }).catch((error: unknown) => log.warn('idle logout failed', { tokenId, error: String(error) }));
    }
  }
}
