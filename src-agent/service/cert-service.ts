import { readFile } from 'node:fs/promises';
import type { Config } from '../config.js';
import { MAX_SEAL_IMAGE_BYTES } from '../limits.js';
import { AssistantError } from '../protocol/errors.js';
import { buildChain, describeImage, parseCertificate, type CertDetails, type ChainResult, type SealImageMime } from '../pki/index.js';
import type { TokenManager } from '../tokens/token-manager.js';
import type { TokenCertificate } from '../tokens/types.js';
import type { TrustStore } from './trust-store.js';

/** A user certificate on a token, parsed. CA certificates on tokens are chain material, not entries. */
export interface CertEntry {
  token: TokenCertificate;
  details: CertDetails;
}

export interface SealImage {
  data: Buffer;
  mime: SealImageMime;
  widthMm?: number;
  heightMm?: number;
  source: 'token' | 'config';
}

/** The application prefix and label convention of seal images stored on tokens. */
export const SEAL_LABEL_PREFIX = 'seal:';

/**
 * Certificates as the rest of the agent needs them: parsed, with chains built
 * against the configured trust store, and with their seal images.
 */
export class CertificateService {
  /** Parsed details by certificate id: the id carries the fingerprint, so an entry never goes stale. */
  readonly #details = new Map<string, CertDetails>();
  /** Chains by certificate id; the pool (token objects, trust store) is fixed for a certificate id. */
  readonly #chains = new Map<string, ChainResult>();

  constructor(private readonly tokens: TokenManager, private readonly trust: TrustStore, private readonly config: Pick<Config, 'seals'>) {
    // Forget certificates of tokens that left, so the caches stay as small as what is plugged in.
    tokens.on('changed', (present) => {
      const ids = new Set(present.map((t) => t.id));
      for (const cache of [this.#details, this.#chains]) for (const id of cache.keys()) if (!ids.has(id.split('.')[0] ?? '')) cache.delete(id);
    });
  }

  /** User certificates (not CA certificates) on one or every token. */
  async list(tokenId?: string): Promise<CertEntry[]> {
    const out: CertEntry[] = [];
    for (const cert of await this.tokens.certificates(tokenId)) {
      let details: CertDetails;
      try {
        details = this.#parse(cert);
      } catch {
        continue; // an unparseable object is reported by 环境检测, not offered for signing
      }
      if (details.basicConstraints?.ca) continue;
      out.push({ token: cert, details });
    }
    return out;
  }

  /** One certificate by id. Throws CERT_NOT_FOUND. */
  async get(certId: string): Promise<CertEntry> {
    const { cert } = await this.tokens.certificate(certId);
    return { token: cert, details: this.#parse(cert) };
  }

  /** The chain from the certificate to a trust anchor, using token objects and configured intermediates. */
  chain(entry: CertEntry, at?: Date): ChainResult {
    const pool = [...entry.token.chainDer, ...this.trust.intermediates];
    if (at) return buildChain(entry.token.der, pool, this.trust.anchors, { at });
    let chain = this.#chains.get(entry.token.id);
    if (!chain) {
      chain = buildChain(entry.token.der, pool, this.trust.anchors);
      this.#chains.set(entry.token.id, chain);
    }
    return chain;
  }

  /** Chain certificates to embed in a signature (issuers only, no anchor duplicates needed). */
  embeddableChain(entry: CertEntry): Buffer[] {
    return this.chain(entry).chain.slice(1);
  }

  #parse(cert: TokenCertificate): CertDetails {
    let details = this.#details.get(cert.id);
    if (!details) {
      details = parseCertificate(cert.der);
      this.#details.set(cert.id, details);
    }
    return details;
  }

  /** The seal image: the token's data object first, then the config's image for this certificate; null when neither. */
  async seal(entry: CertEntry): Promise<SealImage | null> {
    const objects = await this.tokens.dataObjects(entry.token.tokenId);
    const labels = [`${SEAL_LABEL_PREFIX}${entry.token.ckaId}`, `${SEAL_LABEL_PREFIX}${entry.details.fingerprintSha256}`];
    const onToken = objects.find((o) => labels.includes(o.label));
    if (onToken) return withInfo(onToken.value, 'token');
    const configured = this.config.seals.find((s) => s.fingerprintSha256 === entry.details.fingerprintSha256);
    if (!configured) return null;
    let data: Buffer;
    try {
      data = await readFile(configured.image);
    } catch {
      // The path is for the log; the user's line names the setting, not a file on this machine.
      throw new AssistantError('INTERNAL', `seal image file unreadable: ${configured.image}`, { detailZh: '配置中指定的印章图片文件无法读取（见配置项 seals）' });
    }
    const image = withInfo(data, 'config');
    return { ...image, widthMm: configured.widthMm ?? image.widthMm, heightMm: configured.heightMm ?? image.heightMm };
  }
}

function withInfo(data: Buffer, source: 'token' | 'config'): SealImage {
  if (data.length > MAX_SEAL_IMAGE_BYTES) throw new AssistantError('INTERNAL', `seal image too large (${data.length} bytes)`, { detailZh: '印章图片过大' });
  const described = describeImage(data);
  if (!described.ok) throw new AssistantError('INTERNAL', `seal image unreadable: ${described.reason}`, { detailZh: '印章图片已损坏或格式不支持' });
  const { mime, widthMm, heightMm } = described.info;
  return { data, mime, source, ...(widthMm ? { widthMm } : {}), ...(heightMm ? { heightMm } : {}) };
}
