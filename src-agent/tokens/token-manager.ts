import { createHash } from 'node:crypto';
import { AssistantError } from '../protocol/errors.js';
import { SLOT_POLL_INTERVAL_MS, TOKEN_LOGIN_TIMEOUT_MS } from '../limits.js';
import { logger } from '../util/log.js';
import { TypedEmitter } from '../util/typed-emitter.js';
import type { RawObjects, RawSlot, TraceEntry } from './host-protocol.js';
import { HotplugWatcher } from './hotplug.js';
import { releasePreforkedHost } from './host-process.js';
import { ModuleRuntime, type Route } from './module-runtime.js';
import type { ModuleEntry, Vendor } from './registry.js';
import { driverRank, onePerKey } from './physical-keys.js';
import type { ModuleInfo, PhysicalKey, SignMechanism, TokenCertificate, TokenDataObject, TokenInfo } from './types.js';

const log = logger('tokens');

export interface TokenManagerOptions {
  modules: ModuleEntry[];
  vendors: Vendor[];
  /** Extra environment for token hosts (e.g. SOFTHSM2_CONF). */
  env?: Record<string, string>;
  /** Record PKCS#11 call traces (for `diagnose --trace`). */
  trace?: boolean;
  /** Slot polling interval, ms (default SLOT_POLL_INTERVAL_MS); 0 disables hot-plug watching. */
  pollIntervalMs?: number;
}

type ManagerEvents = { changed: [tokens: TokenInfo[]] };

interface CachedObjects {
  certs: TokenCertificate[];
  data: TokenDataObject[];
  loggedIn: boolean;
}

/**
 * Every token of every module, kept current by hot-plug watching. The rest of
 * the agent sees tokens and certificates by id and never a slot or a host.
 * Emits `changed` on insert, remove, login and logout.
 */
export class TokenManager extends TypedEmitter<ManagerEvents> {
  readonly #runtimes: ModuleRuntime[];
  readonly #objects = new Map<string, CachedObjects>();
  readonly #watcher: HotplugWatcher | undefined;
  #lastSignature = '';
  /** Ids of tokens seen earlier and gone now: calls naming them say TOKEN_REMOVED, not CERT_NOT_FOUND. */
  readonly #removed = new Set<string>();
  readonly #known = new Set<string>();

  private constructor(private readonly options: TokenManagerOptions) {
    super();
    const hostOptions = { env: options.env, trace: options.trace };
    this.#runtimes = options.modules.filter((entry) => !entry.duplicateOf).map((entry) => new ModuleRuntime(entry, options.vendors, hostOptions, () => void this.#watcher?.trigger()));
    const interval = options.pollIntervalMs ?? SLOT_POLL_INTERVAL_MS;
    this.#watcher = interval > 0 ? new HotplugWatcher(() => this.refresh(), interval, true) : undefined;
  }

  /** Loads every module, enumerates tokens and starts watching for changes. */
  static async start(options: TokenManagerOptions): Promise<TokenManager> {
    const manager = new TokenManager(options);
    try {
      await Promise.all(manager.#runtimes.map((r) => r.start()));
    } finally {
      // Each module's host has started (adopting the pre-forked one, if any): a spare is not needed now.
      releasePreforkedHost();
    }
    await manager.refresh();
    manager.#watcher?.start();
    return manager;
  }

  /** The tokens present, each physical key once (through the driver the vendor table prefers). */
  tokens(): TokenInfo[] {
    return this.#onePerKey().tokens;
  }

  /** Every physical key present and which drivers reached it (for the diagnostics report). */
  keys(): PhysicalKey[] {
    return this.#onePerKey().keys;
  }

  #onePerKey(): ReturnType<typeof onePerKey> {
    return onePerKey(this.#runtimes.flatMap((r, i) => r.tokens().map((token) => ({ token, rank: driverRank(r, this.options.vendors, i) }))));
  }

  /** Status of each module: loaded with C_GetInfo, or why not; a second name of a loaded library says which. */
  modules(): ModuleInfo[] {
    const duplicates = this.options.modules.filter((e) => e.duplicateOf).map((e) => ({ path: e.path, loaded: false, duplicateOf: e.duplicateOf }));
    return [...this.#loadedModules(), ...duplicates];
  }

  #loadedModules(): ModuleInfo[] {
    return this.#runtimes.map((r) => ({
      path: r.entry.path,
      loaded: r.info !== undefined,
      manufacturer: r.info?.manufacturer,
      description: r.info?.description,
      cryptokiVersion: r.info?.cryptokiVersion,
      libraryVersion: r.info?.libraryVersion,
      ...(r.error ? { reason: r.error.reason, errorZh: moduleErrorZh(r.entry.exists, r.error) } : {}),
    }));
  }

  /** Modules with their slots and mechanisms (what `pkcs11-tool -L -M` tells), for the diagnostics report. */
  async moduleDetails(): Promise<ModuleInfo[]> {
    const basic = this.#loadedModules();
    const loaded = await Promise.all(
      this.#runtimes.map(async (r, i) => {
        if (!r.info) return basic[i] as ModuleInfo;
        const slots = await r.currentHost.call<RawSlot[]>({ op: 'slots', mechanisms: true }).catch(() => []);
        return { ...(basic[i] as ModuleInfo), slots: slots.map((s) => ({ slotId: s.slotId, description: s.description, tokenPresent: !!s.token, mechanisms: s.mechanisms ?? [] })) };
      }),
    );
    return [...loaded, ...this.modules().slice(loaded.length)];
  }

  /** Rescans all modules; emits `changed` when anything a page could see changed. */
  async refresh(): Promise<void> {
    for (const runtime of this.#runtimes) {
      try {
        await runtime.enumerate();
      } catch (error) {
        log.warn('enumerate failed', { module: runtime.entry.path, error: (error as Error).message });
      }
    }
    for (const id of this.#objects.keys()) if (!this.#find(id)) this.#objects.delete(id);
    this.#emitIfChanged();
  }

  async certificates(tokenId?: string): Promise<TokenCertificate[]> {
    const ids = tokenId ? [tokenId] : this.tokens().map((t) => t.id);
    const lists = await Promise.all(ids.map((id) => this.#read(id).then((o) => o.certs)));
    return lists.flat();
  }

  async dataObjects(tokenId: string): Promise<TokenDataObject[]> {
    return (await this.#read(tokenId)).data;
  }

  /** The certificate with this id and the token that holds it. Throws CERT_NOT_FOUND. */
  async certificate(certId: string): Promise<{ token: TokenInfo; cert: TokenCertificate }> {
    const tokenId = certId.split('.')[0] ?? '';
    const tokens = this.tokens();
    const token = tokens.find((t) => t.id === tokenId);
    if (!token && this.#removed.has(tokenId)) throw new AssistantError('TOKEN_REMOVED', `token ${tokenId} of certificate ${certId} was removed`);
    if (!token && tokens.length === 0) throw new AssistantError('NO_TOKEN', `no token present for certificate ${certId}`);
    const cert = token ? (await this.certificates(tokenId)).find((c) => c.id === certId) : undefined;
    if (!token || !cert) throw new AssistantError('CERT_NOT_FOUND', `certificate ${certId} not found`);
    return { token, cert };
  }

  /** C_Login with the user PIN, which is zeroed afterwards. A locked PIN is never tried. */
  async login(tokenId: string, pin: Buffer): Promise<void> {
    try {
      const { runtime, route } = this.#route(tokenId);
      if (runtime.tokens().find((t) => t.id === tokenId)?.pin.locked) throw new AssistantError('PIN_LOCKED', 'PIN locked; login not attempted', { retriesLeft: 0 });
      try {
        await this.#onToken(tokenId, () => route.host.call({ op: 'login', slotId: route.slotId, pin }, TOKEN_LOGIN_TIMEOUT_MS));
        route.loggedIn = true;
        route.lostLogin = false;
        runtime.loggedInOn(tokenId, route);
        await runtime.refreshToken(tokenId).catch(() => undefined);
      } catch (error) {
        await runtime.refreshToken(tokenId).catch(() => undefined);
        if (AssistantError.is(error) && (error.reason === 'PIN_INCORRECT' || error.reason === 'PIN_LOCKED')) {
          const state = runtime.tokens().find((t) => t.id === tokenId)?.pin;
          const retriesLeft = error.reason === 'PIN_LOCKED' ? 0 : state?.retriesLeft;
          throw new AssistantError(error.reason, error.message, { ...error.details, ...(retriesLeft !== undefined ? { retriesLeft } : {}), countLow: state?.countLow ?? false });
        }
        throw error;
      }
      this.#objects.delete(tokenId);
    } finally {
      pin.fill(0);
      this.#emitIfChanged();
    }
  }

  async logout(tokenId: string): Promise<void> {
    const { route } = this.#route(tokenId);
    await this.#onToken(tokenId, () => route.host.call({ op: 'logout', slotId: route.slotId }));
    route.loggedIn = false;
    this.#objects.delete(tokenId);
    this.#emitIfChanged();
  }

  /**
   * Raw signature with the certificate's private key (RSA PKCS#1 v1.5 over a DigestInfo, DER ECDSA over a hash, DER SM2 over e).
   * Given the certificate a caller already resolved, nothing is looked up again.
   */
  async sign(certOrId: string | TokenCertificate, mechanism: SignMechanism, data: Buffer): Promise<Buffer> {
    const cert = typeof certOrId === 'string' ? (await this.certificate(certOrId)).cert : certOrId;
    const token = { id: cert.tokenId };
    const { route } = this.#route(token.id);
    const crashed = (): AssistantError => new AssistantError('MODULE_CRASHED', 'the token host restarted and the login was lost');
    if (route.lostLogin) throw crashed();
    try {
      return await this.#onToken(token.id, () =>
        route.host.call<Buffer>({ op: 'sign', slotId: route.slotId, ckaId: cert.ckaId, certDer: cert.der, mechanism, data }),
      );
    } catch (error) {
      // Sent to a host that restarted after the login: its private objects are hidden, which is a crash, not a missing key.
      if (route.lostLogin && AssistantError.is(error) && error.reason !== 'MODULE_CRASHED') throw crashed();
      throw error;
    }
  }

  /** The PKCS#11 call trace of every host since the last call (when tracing is on). */
  async trace(): Promise<(TraceEntry & { module: string })[]> {
    const out: (TraceEntry & { module: string })[] = [];
    for (const r of this.#runtimes) {
      if (!r.info) continue;
      for (const host of r.hosts) out.push(...(await host.call<TraceEntry[]>({ op: 'trace' })).map((e) => ({ ...e, module: r.entry.path })));
    }
    return out;
  }

  /** Test hook: the host serving a token (to kill it). */
  hostOf(tokenId: string): { pid: number | undefined; call: (op: 'crash' | 'hang') => Promise<unknown> } {
    const { route } = this.#route(tokenId);
    return { pid: route.host.pid, call: (op) => route.host.call({ op }, 2000) };
  }

  async stop(): Promise<void> {
    this.#watcher?.stop();
    await Promise.all(this.#runtimes.map((r) => r.stop()));
  }

  #find(tokenId: string): { runtime: ModuleRuntime; route: Route } | undefined {
    for (const runtime of this.#runtimes) {
      const route = runtime.routes.get(tokenId);
      if (route) return { runtime, route };
    }
    return undefined;
  }

  #route(tokenId: string): { runtime: ModuleRuntime; route: Route } {
    const found = this.#find(tokenId);
    if (!found) throw new AssistantError('TOKEN_REMOVED', `token ${tokenId} not present`);
    return found;
  }

  /** Runs a call on a token; when it fails because the token went away, says TOKEN_REMOVED. */
  async #onToken<T>(tokenId: string, body: () => Promise<T>): Promise<T> {
    try {
      return await body();
    } catch (error) {
      if (AssistantError.is(error) && (error.reason === 'MODULE_FAILED' || error.reason === 'TOKEN_REMOVED')) {
        await this.refresh();
        if (!this.#find(tokenId)) throw new AssistantError('TOKEN_REMOVED', `token ${tokenId} removed during the call`, error.details);
      }
      throw error;
    }
  }

  async #read(tokenId: string): Promise<CachedObjects> {
    const cached = this.#objects.get(tokenId);
    if (cached) return cached;
    const { route } = this.#route(tokenId);
    const raw = await this.#onToken(tokenId, () => route.host.call<RawObjects>({ op: 'objects', slotId: route.slotId }));
    const all = raw.certs.map((c) => c.der);
    const certs = raw.certs
      .filter((c) => c.der.length > 0)
      .map((c) => ({
        id: `${tokenId}.${createHash('sha256').update(c.der).digest('hex').slice(0, 16)}`,
        tokenId,
        ckaId: c.ckaId,
        label: c.label,
        der: c.der,
        hasPrivateKey: c.hasPrivateKey ? true : raw.loggedIn || c.privateKeyKnown ? false : null,
        chainDer: all.filter((d) => d !== c.der),
      }));
    const result = { certs, data: raw.data, loggedIn: raw.loggedIn };
    this.#objects.set(tokenId, result);
    return result;
  }

  #emitIfChanged(): void {
    const tokens = this.tokens();
    const present = new Set(tokens.map((t) => t.id));
    for (const id of this.#known) if (!present.has(id)) this.#removed.add(id);
    for (const id of present) {
      this.#removed.delete(id);
      this.#known.add(id);
    }
    const signature = JSON.stringify(tokens);
    if (signature === this.#lastSignature) return;
    this.#lastSignature = signature;
    this.emit('changed', tokens);
  }
}

function moduleErrorZh(exists: boolean, error: AssistantError): string {
  if (!exists) return '驱动文件不存在，请重新安装 CA 机构提供的驱动程序';
  if (error.details.ckr === 'LOAD_FAILED') return '驱动文件无法加载（不是有效的 PKCS#11 驱动，或与本机位数不符）';
  if (error.reason === 'TIMEOUT') return '驱动加载超时（驱动无响应）';
  return `驱动初始化失败（${String(error.details.ckr ?? error.reason)}）`;
}
