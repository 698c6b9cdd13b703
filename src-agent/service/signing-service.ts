import { signHash, type CmsProfile, type HashAlgorithm, type SignHashResult } from '../pki/index.js';
import { AssistantError } from '../protocol/errors.js';
import type { TokenManager } from '../tokens/token-manager.js';
import type { CertificateService, CertEntry } from './cert-service.js';
import type { TimestampService } from './timestamp-service.js';

export interface SignRequest {
  certId: string;
  hash: Buffer;
  hashAlgorithm: HashAlgorithm;
  format: 'cms' | 'raw';
  /** CMS encoding (default `cms`); `gmt0010` for SM2 certificates. */
  profile?: CmsProfile;
  /** Add an RFC 3161 signature time-stamp (CMS only); fails the signature when the TSA fails. */
  timestamp?: boolean;
  /** Ends waiting for the TSA (the page went away). */
  signal?: AbortSignal;
}

export interface SigningOptions {
  /** SM2 signer id for Z (config `sm2UserId`; default `1234567812345678`). */
  sm2UserId?: string;
  /** The TSA client for `timestamp: true`. */
  timestamps?: TimestampService;
}

/**
 * Signs a hash with a certificate's key on its token. The token must already
 * be logged in: who may log in, and when, is the caller's policy (API or CLI).
 */
export class SigningService {
  constructor(private readonly tokens: TokenManager, private readonly certs: CertificateService, private readonly options: SigningOptions = {}) {}

  /**
   * Refuses a time-stamp that cannot be had, before any PIN dialog or key operation.
   * @throws AssistantError BAD_REQUEST (not CMS), TIMESTAMP_NOT_CONFIGURED.
   */
  assertCanTimestamp(request: Pick<SignRequest, 'format' | 'timestamp'>): void {
    if (!request.timestamp) return;
    if (request.format !== 'cms') throw new AssistantError('BAD_REQUEST', 'a time-stamp needs format cms', { detailZh: '可信时间戳只能加在 CMS 签名中' });
    if (!this.options.timestamps?.configured) throw new AssistantError('TIMESTAMP_NOT_CONFIGURED', 'a time-stamp was asked for but timestamp.url is not set');
  }

  async sign(request: SignRequest, entry?: CertEntry): Promise<SignHashResult> {
    const cert = entry ?? (await this.certs.get(request.certId));
    if (cert.token.hasPrivateKey === false) throw new AssistantError('KEY_NOT_FOUND', `no private key for ${request.certId}`);
    this.assertCanTimestamp(request);
    const timestamps = this.options.timestamps;
    const signed = await signHash({
      certificate: cert.token.der,
      chain: this.certs.embeddableChain(cert),
      hash: request.hash,
      hashAlgorithm: request.hashAlgorithm,
      format: request.format,
      ...(request.profile ? { profile: request.profile } : {}),
      ...(this.options.sm2UserId ? { sm2UserId: this.options.sm2UserId } : {}),
      sign: (mechanism, data) => this.tokens.sign(cert.token.id, mechanism, data),
    });
    if (!request.timestamp || !timestamps) return signed;
    return { ...signed, signature: await timestamps.stamp(signed.signature, request.signal) };
  }
}
