import { createHash } from 'node:crypto';
import { AssistantError, toAssistantError } from '../protocol/errors.js';
import { DEFERRED_START_DELAY_MS } from '../limits.js';
import { logger } from '../util/log.js';
import { CKF } from './ck-flags.js';
import type { RawModuleInfo, RawSlot, RawTokenInfo } from './host-protocol.js';
import type { Sm2Params } from './p11-sm2.js';
import { providerOf } from './provider.js';
import { vendorForManufacturer, type ModuleEntry, type Vendor } from './registry.js';
import { TokenHost, type TokenHostOptions } from './token-host.js';
import type { PinState, TokenInfo } from './types.js';

const log = logger('tokens');

/** Where a token's calls go: the host that serves it and its slot there. */
export interface Route {
  host: TokenHost;
  slotId: string;
  token: RawTokenInfo;
  loggedIn: boolean;
  /** The login died with a crashed host; calls that needed it fail MODULE_CRASHED until the next login. */
  lostLogin?: boolean;
}

export function tokenIdOf(modulePath: string, t: RawTokenInfo): string {
  const key = [modulePath, t.manufacturer, t.model, t.serial || t.label].join('\0');
  return createHash('sha256').update(key).digest('hex').slice(0, 12);
}

/** What identifies a token in a probe's rescan. */
const tokenKey = (t: RawTokenInfo): string => `${t.serial}|${t.label}`;

export function pinStateOf(t: RawTokenInfo): PinState {
  const has = (flag: number): boolean => (t.flags & flag) !== 0;
  const locked = has(CKF.USER_PIN_LOCKED);
  const finalTry = has(CKF.USER_PIN_FINAL_TRY);
  return {
    minLength: t.minPinLen,
    maxLength: t.maxPinLen,
    protectedAuthPath: has(CKF.PROTECTED_AUTHENTICATION_PATH),
    countLow: has(CKF.USER_PIN_COUNT_LOW),
    finalTry,
    locked,
    toBeChanged: has(CKF.USER_PIN_TO_BE_CHANGED),
    ...(locked ? { retriesLeft: 0 } : t.pinRetries !== undefined ? { retriesLeft: t.pinRetries } : finalTry ? { retriesLeft: 1 } : {}),
  };
}

/**
 * One PKCS#11 module: its current token host, older host generations still
 * serving logged-in tokens, and for modules that cannot see new tokens without
 * re-initializing, a login-free probe host that rescans.
 */
export class ModuleRuntime {
  info: RawModuleInfo | undefined;
  error: AssistantError | undefined;
  vendor: Vendor | undefined;
  readonly routes = new Map<string, Route>();
  #host: TokenHost;
  #probe: TokenHost | undefined;
  #lastProbe = '';
  #probed = false;

  constructor(readonly entry: ModuleEntry, private readonly vendors: Vendor[], private readonly hostOptions: TokenHostOptions, private readonly onHostExit: () => void) {
    this.vendor = entry.vendor;
    this.#host = this.#newHost();
  }

  get rescan(): 'native' | 'reinitialize' {
    return this.vendor?.rescan ?? this.entry.rescan;
  }

  get hosts(): TokenHost[] {
    return [...new Set([this.#host, ...[...this.routes.values()].map((r) => r.host)])];
  }

  get currentHost(): TokenHost {
    return this.#host;
  }

  /** Loads the module (C_Initialize, C_GetInfo). Records the error instead of throwing. */
  async start(): Promise<void> {
    if (!this.entry.exists) {
      this.error = new AssistantError('MODULE_FAILED', `module file not found: ${this.entry.path}`, { ckr: 'FILE_NOT_FOUND' });
      return;
    }
    try {
      this.info = await this.#host.call<RawModuleInfo>({ op: 'info' });
      this.error = undefined;
      if (!this.vendor) {
        this.vendor = vendorForManufacturer(this.vendors, this.info.manufacturer);
        // SM2 constants belong to the library, which its manufacturer names better than an unlisted
        // path: the host started without them, so one that has them replaces it (nothing is logged in yet).
        if (this.#sm2()) this.#replaceHost();
      }
      if (this.rescan === 'reinitialize') {
        this.#probe ??= new TokenHost(this.entry.path, { ...this.hostOptions, trace: false });
        if (!this.#spare) {
          this.#spare = this.#newHost();
          this.#warmLater(this.#spare);
        }
      }
    } catch (error) {
      this.error = toAssistantError(error);
      log.warn('module failed to load', { module: this.entry.path, reason: this.error.reason, error: this.error.message });
    }
  }

  /** Rescans slots; returns true when the set of tokens or their state changed. */
  async enumerate(): Promise<boolean> {
    if (!this.info) {
      await this.start();
      if (!this.info) return false;
    }
    const before = this.#signature();
    if (this.#probe && !this.#probed) {
      // First enumeration: the host initialized a moment ago and sees every token, so the
      // probe (a second process start) is warmed in the background instead of waited for.
      this.#probed = true;
      await this.#routeFrom(this.#host);
      this.#lastProbe = [...this.routes.values()].map((r) => tokenKey(r.token)).sort().join(',');
      this.#warmLater(this.#probe);
    } else if (this.#probe) {
      await this.#probe.call({ op: 'reinit' });
      const probed = await this.#probe.call<RawSlot[]>({ op: 'slots' });
      const key = probed.flatMap((s) => (s.token ? [tokenKey(s.token)] : [])).sort().join(',');
      if (key !== this.#lastProbe) {
        if (this.#lastProbe !== '' || this.routes.size > 0) this.#host = await this.#takeSpare();
        this.#lastProbe = key;
        await this.#routeFrom(this.#host);
      } else await this.#refreshFlags();
    } else await this.#routeFrom(this.#host);
    await this.#retireIdleHosts();
    return this.#signature() !== before;
  }

  tokens(): TokenInfo[] {
    return [...this.routes.entries()].map(([id, r]) => ({
      id,
      label: r.token.label,
      manufacturer: r.token.manufacturer,
      model: r.token.model,
      serial: r.token.serial,
      module: this.entry.path,
      slotId: r.slotId,
      loggedIn: r.loggedIn,
      pin: pinStateOf(r.token),
    }));
  }

  /** Re-reads one route's token flags (after a login attempt). */
  async refreshToken(id: string): Promise<void> {
    const route = this.routes.get(id);
    if (!route) return;
    const slots = await route.host.call<RawSlot[]>({ op: 'slots' });
    const slot = slots.find((s) => s.slotId === route.slotId && s.token);
    if (slot?.token) route.token = slot.token;
  }

  /**
   * A login finished on the host a route named. If a rescan moved the token to
   * a newer host generation meanwhile (where it is not logged in), it goes back
   * to the host that holds the login, as a rescan leaves logged-in tokens where
   * they are. A token removed meanwhile stays removed.
   */
  loggedInOn(id: string, route: Route): void {
    const current = this.routes.get(id);
    if (current && current !== route && !current.loggedIn) this.routes.set(id, route);
  }

  /** A host died: its tokens are no longer logged in. */
  hostExited(host: TokenHost): void {
    for (const route of this.routes.values()) {
      if (route.host !== host) continue;
      if (route.loggedIn) route.lostLogin = true;
      route.loggedIn = false;
    }
  }

  async stop(): Promise<void> {
    for (const timer of this.#warmTimers) clearTimeout(timer);
    this.#warmTimers.clear();
    const all = new Set([...this.hosts, ...this.#retired, ...(this.#probe ? [this.#probe] : []), ...(this.#spare ? [this.#spare] : [])]);
    await Promise.all([...all].map((h) => h.stop()));
  }

  /**
   * A host generation started ahead of need, so that a token plugged into a
   * module without hot-plug is usable without waiting for a process start.
   */
  async #takeSpare(): Promise<TokenHost> {
    const spare = this.#spare ?? this.#newHost();
    this.#spare = undefined;
    // It initialized before the token appeared: rescan first.
    await spare.call({ op: 'reinit' });
    this.#spare = this.#newHost();
    void this.#spare.call({ op: 'info' }).catch(() => undefined);
    return spare;
  }

  #spare: TokenHost | undefined;
  readonly #warmTimers = new Set<NodeJS.Timeout>();

  /**
   * Starts a host that is not needed yet (the probe, the warm spare) once the
   * assistant has started: at start they would take CPU from it.
   */
  #warmLater(host: TokenHost): void {
    const timer = setTimeout(() => {
      this.#warmTimers.delete(timer);
      void host.call({ op: 'info' }).catch(() => undefined);
    }, DEFERRED_START_DELAY_MS);
    timer.unref();
    this.#warmTimers.add(timer);
  }

  /** The vendor table's SM2 constants for this module (PKCS#11 modules only: SKF has SM2 built in). */
  #sm2(): Sm2Params | undefined {
    return providerOf(this.entry.path).provider === 'pkcs11' ? this.vendor?.sm2 : undefined;
  }

  #replaceHost(): void {
    const old = this.#host;
    this.#host = this.#newHost();
    void old.stop();
  }

  #newHost(): TokenHost {
    const sm2 = this.#sm2();
    const host = new TokenHost(this.entry.path, { ...this.hostOptions, ...(sm2 ? { sm2 } : {}) });
    host.on('exit', (why) => {
      if (why === 'stopped') return;
      this.hostExited(host);
      this.onHostExit();
    });
    return host;
  }

  /** Routes every token the host sees to it, except logged-in tokens an older host still serves. */
  async #routeFrom(host: TokenHost): Promise<void> {
    const slots = await host.call<RawSlot[]>({ op: 'slots' });
    const seen = new Set<string>();
    for (const slot of slots) {
      if (!slot.token) continue;
      const id = tokenIdOf(this.entry.path, slot.token);
      seen.add(id);
      const existing = this.routes.get(id);
      if (existing && existing.host !== host && existing.loggedIn) continue;
      if (existing && existing.host === host) {
        existing.token = slot.token;
        existing.slotId = slot.slotId;
        continue;
      }
      this.routes.set(id, { host, slotId: slot.slotId, token: slot.token, loggedIn: false });
    }
    for (const [id, route] of this.routes) if (!seen.has(id) && (route.host === host || this.#probe)) this.routes.delete(id);
  }

  async #refreshFlags(): Promise<void> {
    for (const host of this.hosts) {
      const slots = await host.call<RawSlot[]>({ op: 'slots' });
      for (const route of this.routes.values()) {
        if (route.host !== host) continue;
        const slot = slots.find((s) => s.slotId === route.slotId);
        if (slot?.token) route.token = slot.token;
      }
    }
  }

  /**
   * Stops host generations no token routes to any more. One still answering a
   * call (sent before its tokens moved) is stopped at a later rescan, once idle:
   * retiring it must not fail that call.
   */
  async #retireIdleHosts(): Promise<void> {
    const used = new Set([...this.routes.values()].map((r) => r.host));
    used.add(this.#host);
    const draining: TokenHost[] = [];
    for (const host of this.#retired) {
      if (used.has(host)) continue;
      if (host.idle) await host.stop();
      else draining.push(host);
    }
    this.#retired = [...used, ...draining];
  }

  /** Hosts seen at the last rescan: the ones in use then, and retired ones still draining. */
  #retired: TokenHost[] = [];

  #signature(): string {
    return JSON.stringify([...this.routes.entries()].map(([id, r]) => [id, r.loggedIn, r.token.flags]).sort());
  }
}
