import { signHash, type HashAlgorithm, type SignHashResult } from '../pki/index.js';
import { AssistantError } from '../protocol/errors.js';
import type { TokenManager } from '../tokens/token-manager.js';
import type { CertificateService, CertEntry } from './cert-service.js';

export interface SignRequest {
  certId: string;
  hash: Buffer;
  hashAlgorithm: HashAlgorithm;
  format: 'cms' | 'raw';
}

/**
 * Signs a hash with a certificate's key on its token. The token must already
 * be logged in: who may log in, and when, is the caller's policy (API or CLI).
 */
export class SigningService {
  constructor(private readonly tokens: TokenManager, private readonly certs: CertificateService) {}

  async sign(request: SignRequest, entry?: CertEntry): Promise<SignHashResult> {
    const cert = entry ?? (await this.certs.get(request.certId));
    if (cert.token.hasPrivateKey === false) throw new AssistantError('KEY_NOT_FOUND', `no private key for ${request.certId}`);
    return signHash({
      certificate: cert.token.der,
      chain: this.certs.embeddableChain(cert),
      hash: request.hash,
      hashAlgorithm: request.hashAlgorithm,
      format: request.format,
      sign: (mechanism, data) => this.tokens.sign(cert.token.id, mechanism, data),
    });
  }
}
