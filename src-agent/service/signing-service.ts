import { signHash, type CmsProfile, type HashAlgorithm, type SignHashResult } from '../pki/index.js';
import { AssistantError } from '../protocol/errors.js';
import type { TokenManager } from '../tokens/token-manager.js';
import type { CertificateService, CertEntry } from './cert-service.js';

export interface SignRequest {
  certId: string;
  hash: Buffer;
  hashAlgorithm: HashAlgorithm;
  format: 'cms' | 'raw';
  /** CMS encoding (default `cms`); `gmt0010` for SM2 certificates. */
  profile?: CmsProfile;
  /** The time the certificate's validity is judged at (default now). */
  now?: Date;
}

export interface SigningOptions {
  /** SM2 signer id for Z (config `sm2UserId`; default `1234567812345678`). */
  sm2UserId?: string;
}

/**
 * Signs a hash with a certificate's key on its token. The token must already
 * be logged in: who may log in, and when, is the caller's policy (API or CLI).
 */
export class SigningService {
  constructor(private readonly tokens: TokenManager, private readonly certs: CertificateService, private readonly options: SigningOptions = {}) {}

  async sign(request: SignRequest, entry?: CertEntry): Promise<SignHashResult> {
    const cert = entry ?? (await this.certs.get(request.certId));
    if (cert.token.hasPrivateKey === false) throw new AssistantError('KEY_NOT_FOUND', `no private key for ${request.certId}`);
    return signHash({
      certificate: cert.token.der,
      chain: this.certs.embeddableChain(cert),
      hash: request.hash,
      hashAlgorithm: request.hashAlgorithm,
      format: request.format,
      ...(request.profile ? { profile: request.profile } : {}),
      ...(request.now ? { now: request.now } : {}),
      ...(this.options.sm2UserId ? { sm2UserId: this.options.sm2UserId } : {}),
      sign: (mechanism, data) => this.tokens.sign(cert.token, mechanism, data),
    });
  }
}
