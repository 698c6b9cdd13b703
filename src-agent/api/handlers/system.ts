import { assistantVersion } from '../../version.js';
import { SUPPORTED_HASH_ALGORITHMS } from '../../pki/index.js';
import type { HashAlgorithm } from '../../protocol/types.js';
import { logger } from '../../util/log.js';
import type { Handler } from '../context.js';

const log = logger('api');

/** The assistant version reported by system.hello. */


export const hello: Handler<'system.hello'> = async (params, session, { core }) => {
  log.info('hello', { origin: session.origin, client: params.client, session: session.id });
  return {
    product: 'ca-assistant',
    version: assistantVersion(),
    protocol: 1,
    origin: session.origin,
    trusted: session.trusted,
    capabilities: { hashAlgorithms: SUPPORTED_HASH_ALGORITHMS as HashAlgorithm[], signatureFormats: ['cms', 'raw'], timestamp: core.timestamps.configured },
  };
};
