import { join } from 'node:path';
import type { Config } from '../config.js';
import { loadVendorTable, resolveModules, type Vendor } from '../tokens/registry.js';
import { TokenManager } from '../tokens/token-manager.js';
import { setLogFile } from '../util/log.js';
import type { CertificateService } from './cert-service.js';
import type { MobileSigning } from './mobile-signing.js';
import type { SigningService } from './signing-service.js';
import type { TimestampService } from './timestamp-service.js';
import type { TrustStore } from './trust-store.js';

/** The agent's core services, wired once per process (CLI command or server). */
export interface AgentCore {
  config: Config;
  vendors: Vendor[];
  tokens: TokenManager;
  trust: TrustStore;
  certs: CertificateService;
  signing: SigningService;
  timestamps: TimestampService;
  /** 移动签, when `mobileSigning` is configured. */
  mobile?: MobileSigning;
  stop(): Promise<void>;
}

export interface CoreOptions {
  /** Environment for token hosts (SOFTHSM2_CONF in tests and the demo). */
  hostEnv?: Record<string, string>;
  /** Record PKCS#11 call traces. */
  trace?: boolean;
  /** Hot-plug polling interval, ms; 0 turns watching off (one-shot CLI commands). */
  pollIntervalMs?: number;
  /** Write the agent log under the data directory (default true). */
  logToFile?: boolean;
}

/** Loads the vendor table and trust store, starts the token layer. Throws with a Chinese message on a bad vendor table. */
export async function startCore(config: Config, options: CoreOptions = {}): Promise<AgentCore> {
  if (options.logToFile !== false) setLogFile(join(config.dataDir, 'logs', 'agent.jsonl'));
  const vendors = loadVendorTable(config.vendorTable);
  // Token hosts start (a process each, forked within this call) while the services above
  // the token layer load and the trust store is read: starting a host is the longest step.
  const starting = TokenManager.start({
    modules: resolveModules(config.modules, vendors, config.onlyConfiguredModules),
    vendors,
    env: options.hostEnv,
    trace: options.trace,
    pollIntervalMs: options.pollIntervalMs,
  });
  // Handled below; without this a rejection before the trust store is read would count as unhandled.
  starting.catch(() => undefined);
  let trust: TrustStore;
  let services: Awaited<ReturnType<typeof loadServices>>;
  try {
    services = await loadServices();
    trust = await services.loadTrustStore(config.trustAnchors, config.intermediates, config.timestamp.trustAnchors);
  } catch (error) {
    // The trust store's error is the one to report; the token layer only has to stop.
    await starting.then((tokens) => tokens.stop(), () => undefined);
    throw error;
  }
  const tokens = await starting;
  const { CertificateService, SigningService, TimestampService, MobileSigning } = services;
  const certs = new CertificateService(tokens, trust, config);
  const timestamps = new TimestampService(config.timestamp, () => trust.tsaAnchors);
  const signing = new SigningService(tokens, certs, { sm2UserId: config.sm2UserId });
  const mobile = config.mobileSigning ? new MobileSigning(config.mobileSigning) : undefined;
  return { config, vendors, tokens, trust, certs, signing, timestamps, ...(mobile ? { mobile } : {}), stop: () => tokens.stop() };
}

/** The services above the token layer, with the PKI code they bring. */
async function loadServices() {
  const [{ CertificateService }, { SigningService }, { TimestampService }, { MobileSigning }, { loadTrustStore }] = await Promise.all([
    import('./cert-service.js'),
    import('./signing-service.js'),
    import('./timestamp-service.js'),
    import('./mobile-signing.js'),
    import('./trust-store.js'),
  ]);
  return { CertificateService, SigningService, TimestampService, MobileSigning, loadTrustStore };
}
