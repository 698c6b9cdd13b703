/**
 * The assistant window's application controller: what each bridge method
 * does, independent of the transport. The headless UI's HTTP bridge and
 * Electron's IPC both call these. It knows the API only through {@link ApiView}.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runChecks, writeReport } from '../check/index.js';
import type { BrowserSeen } from '../check/types.js';
import { parseConfig } from '../config.js';
import { AssistantError } from '../protocol/errors.js';
import type { CheckReport } from '../protocol/types.js';
import type { AgentCore } from '../service/agent-core.js';
import type { ConsentStore } from '../service/consent-store.js';
import type { SigningUseCase } from '../service/signing/index.js';
import { parseCertificate } from '../pki/index.js';
import type { CertView, SettingsView, StatusView } from '../ui/bridge.js';
import { tokenView, type BridgeHandlers } from '../ui/controller-port.js';
import { commonName, type HeadlessUi } from '../ui/headless/headless-ui.js';
import { chainVerdict } from '../service/chain-verdict.js';
import { recentCertUses, recentTokens } from '../service/recent-uses.js';
import { checkPinFromUi } from '../check/ui-pin.js';

export { tokenView };
export type { BridgeHandlers };

/** What the controller needs of the WebSocket API running in this process (the API's RunningServer has it). */
export interface ApiView {
  port: number;
  signing: SigningUseCase;
  consents: ConsentStore;
  trustedSeen(): BrowserSeen[];
}

export interface BridgeServiceOptions {
  core: AgentCore;
  ui: HeadlessUi;
  /** The WebSocket API, when it runs in this process. */
  server: () => ApiView | undefined;
  /** Opens a folder in the desktop's file manager; resolves false when there is no desktop. */
  openFolder: (dir: string) => Promise<boolean>;
}

const DAY_MS = 86_400_000;

/** Builds the bridge handlers over the core, the API server and the headless UI port. */
export function bridgeHandlers(options: BridgeServiceOptions): BridgeHandlers {
  const { core, ui } = options;
  let running: Promise<CheckReport> | undefined;
  let lastReport: CheckReport | undefined;

  // What the config file says (what the next start uses), over what this run uses.
  const settings = async (): Promise<SettingsView> => {
    const file = core.config.configFile;
    const saved = file ? ((JSON.parse(await readFile(file, 'utf8').catch(() => '{}')) ?? {}) as Partial<SettingsView>) : {};
    return {
      pinReuseMinutes: typeof saved.pinReuseMinutes === 'number' ? saved.pinReuseMinutes : core.config.pinReuseMinutes,
      port: typeof saved.port === 'number' ? saved.port : core.config.port,
      modules: Array.isArray(saved.modules) ? saved.modules.map(String) : [...core.config.modules],
      language: core.config.language,
      configFile: file ?? null,
    };
  };

  /** Fingerprint → time of its latest signature, from the audit log of the API running here. */
  const recentUses = async (): Promise<Map<string, string>> => {
    const server = options.server();
    return server ? recentCertUses(server.signing.audit.file) : new Map();
  };

  const check = async (pinTokens?: string[]): Promise<CheckReport> => {
    const server = options.server();
    const signal = AbortSignal.timeout(30 * 60_000);
    const preferred = server ? await recentTokens(core.certs, server.signing.audit.file) : [];
    const report = await runChecks({
      core,
      ...(pinTokens ? { pinTokens } : {}),
      preferredTokens: preferred,
      ...(server ? { browserSeen: () => server.trustedSeen(), port: server.port } : {}),
      onLogin: (tokenId) => server?.signing.policy.registerUserLogin(tokenId),
      ...(server ? { signing: server.signing } : {}),
      onProgress: (e) => ui.checkProgress({ id: e.id, index: e.index, total: e.total, ...(e.status ? { status: e.status } : {}), ...(e.titleZh ? { titleZh: e.titleZh } : {}) }),
      pin: checkPinFromUi(ui, signal),
    });
    lastReport = report;
    return report;
  };

  return {
    async getStatus(): Promise<StatusView> {
      const server = options.server();
      const tokens = core.tokens.tokens().map(tokenView);
      const uses = await recentUses();
      const certs = (await core.certs.list().catch(() => [])).map((e) => {
        const lastUsed = uses.get(e.details.fingerprintSha256.toLowerCase());
        return { tokenId: e.token.tokenId, name: commonName(e.details.subject), kind: e.details.kind, ...(lastUsed ? { lastUsed } : {}) };
      });
      return { agent: { listening: server !== undefined, port: server?.port ?? null }, tokens, certs, language: core.config.language };
    },

    async runCheck({ pinTokens }) {
      running ??= check(pinTokens).finally(() => (running = undefined));
      return running;
    },

    async pendingDialogs() {
      return { dialogs: ui.pending() };
    },

    async answerPin({ id, kind, pin, reuse }) {
      if (!ui.answerPin(id, kind, pin, reuse === true)) throw new AssistantError('BAD_REQUEST', 'no such PIN dialog');
      return {};
    },

    async answerConsent({ id, answer }) {
      if (!ui.answerConsent(id, answer)) throw new AssistantError('BAD_REQUEST', 'no such consent dialog');
      return {};
    },

    async answerMobileSign({ id, action }) {
      if (!ui.answerMobileSign(id, action)) throw new AssistantError('BAD_REQUEST', 'no such mobile signing dialog');
      return {};
    },

    async answerConfirm({ id, answer }) {
      if (!ui.answerConfirm(id, answer)) throw new AssistantError('BAD_REQUEST', 'no such confirmation');
      return {};
    },

    async listCerts() {
      const now = Date.now();
      const labels = new Map(core.tokens.tokens().map((t) => [t.id, t.label]));
      const certs: CertView[] = [];
      for (const entry of await core.certs.list()) {
        const d = entry.details;
        const chain = chainVerdict(core.certs, entry, new Date(now));
        let seal: CertView['seal'] = null;
        if (d.kind === 'organization') {
          const image = await core.certs.seal(entry).catch(() => null);
          if (image) seal = { dataUrl: `data:${image.mime};base64,${image.data.toString('base64')}`, ...(image.widthMm ? { widthMm: image.widthMm } : {}), ...(image.heightMm ? { heightMm: image.heightMm } : {}) };
        }
        certs.push({
          id: entry.token.id,
          tokenId: entry.token.tokenId,
          tokenLabel: labels.get(entry.token.tokenId) ?? '',
          kind: d.kind,
          name: commonName(d.subject),
          subject: d.subject,
          issuer: d.issuer,
          serialNumber: d.serialNumber,
          notBefore: d.notBefore,
          notAfter: d.notAfter,
          daysLeft: Math.floor((Date.parse(d.notAfter) - now) / DAY_MS),
          keyUsage: d.keyUsage,
          extKeyUsage: d.extKeyUsage,
          keyAlgorithm: d.keyCurve ? `${d.keyAlgorithm} ${d.keyCurve}` : `${d.keyAlgorithm} ${d.keySize}`,
          fingerprintSha256: d.fingerprintSha256,
          hasPrivateKey: entry.token.hasPrivateKey !== false,
          chain: { subjects: chain.chain.map((der) => subjectOfDer(der)), trusted: chain.trusted, valid: chain.valid, labelZh: chain.labelZh, labelEn: chain.labelEn, problems: chain.problems.map((p) => ({ zh: p.zh, en: p.en })) },
          seal,
        });
      }
      return { certs };
    },

    async listOrigins() {
      return { trusted: [...core.config.trustedOrigins], allowed: options.server()?.consents.origins() ?? [] };
    },

    async revokeOrigin({ origin }) {
      const consents = options.server()?.consents;
      consents?.revoke(origin);
      return { allowed: consents?.origins() ?? [] };
    },

    getSettings: () => settings(),

    async setSettings(params) {
      const file = core.config.configFile;
      if (!file) throw new AssistantError('BAD_REQUEST', 'no config file', { detailZh: '互认助手启动时未指定配置文件（--config），设置无法保存。' });
      const raw = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
      const next = { ...raw, ...params };
      // Validates the whole file the way the next start will read it (throws ConfigError in Chinese).
      parseConfig(JSON.stringify(next), `配置文件 ${file}`);
      // A driver is code the next start loads: a bare request never changes them, the user confirms in the assistant's dialog.
      const before = Array.isArray(raw.modules) ? raw.modules.map(String) : [...core.config.modules];
      if (params.modules !== undefined && params.modules.join('\n') !== before.join('\n')) {
        const answer = await ui.askConfirm({ kind: 'modules', before, after: params.modules });
        if (answer !== 'confirm') throw new AssistantError('USER_DENIED', 'driver change not confirmed', { detailZh: '驱动设置未修改：没有在互认助手的确认窗口中确认。' });
      }
      const tmp = `${file}.tmp`;
      await writeFile(tmp, JSON.stringify(next, null, 2) + '\n', { mode: 0o600 });
      await rename(tmp, file);
      const restartNeeded = (params.port !== undefined && params.port !== core.config.port) || (params.modules !== undefined && params.modules.join('\n') !== core.config.modules.join('\n')) || (params.pinReuseMinutes !== undefined && params.pinReuseMinutes !== core.config.pinReuseMinutes);
      // The language applies at once; the rest when the assistant restarts.
      if (params.language) core.config.language = params.language;
      return { ...(await settings()), saved: true, restartNeeded };
    },

    async exportReport() {
      const report = lastReport ?? (await runChecks({ core }));
      const dir = join(core.config.dataDir, 'reports', new Date().toISOString().replace(/[:.]/g, '-'));
      const { json, html } = await writeReport(dir, { core, report });
      const opened = await options.openFolder(dir);
      return { dir, json, html, opened };
    },
  };
}

function subjectOfDer(der: Buffer): string {
  try {
    return commonName(parseCertificate(der).subject);
  } catch {
    return '?';
  }
}
