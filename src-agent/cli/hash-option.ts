import { validateHash, type HashAlgorithm } from '../pki/index.js';
import { AssistantError } from '../protocol/errors.js';
import { HASH_LENGTHS } from '../protocol/schemas.js';
import { UsageError } from './command.js';
import { stringOption, type ParsedArgs } from './args.js';

/** `--hash HEX --alg NAME` → the digest, checked against the algorithm. Usage errors for bad input. */
export function hashOptions(options: ParsedArgs['options']): { hash: Buffer; hashAlgorithm: HashAlgorithm } {
  const hex = stringOption(options, 'hash', true);
  const alg = (stringOption(options, 'alg') ?? 'sha256') as HashAlgorithm;
  if (!/^([0-9a-fA-F]{2})+$/.test(hex)) throw new UsageError('--hash 必须是十六进制摘要值');
  if (!Object.hasOwn(HASH_LENGTHS, alg)) throw new UsageError(`--alg 只能是 sha256、sha384、sha512 或 sm3：${alg}`);
  const hash = Buffer.from(hex, 'hex');
  try {
    validateHash(hash, alg);
  } catch (error) {
    if (AssistantError.is(error) && error.reason === 'BAD_REQUEST') throw new UsageError(`--hash 长度与 ${alg} 不符（${hash.length} 字节）`);
    throw error;
  }
  return { hash, hashAlgorithm: alg };
}
