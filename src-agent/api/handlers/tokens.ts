import { basename } from 'node:path';
import type { TokenSummary } from '../../protocol/types.js';
import type { TokenInfo } from '../../tokens/types.js';
import type { Handler } from '../context.js';

/** A token as the wire shows it: no slot, module by file name only. */
export function tokenSummary(t: TokenInfo): TokenSummary {
  const { minLength, maxLength, protectedAuthPath, countLow, finalTry, locked, retriesLeft } = t.pin;
  return {
    id: t.id,
    label: t.label,
    manufacturer: t.manufacturer,
    model: t.model,
    serial: t.serial,
    module: basename(t.module),
    loggedIn: t.loggedIn,
    pin: { minLength, maxLength, protectedAuthPath, countLow, finalTry, locked, ...(retriesLeft !== undefined ? { retriesLeft } : {}) },
  };
}

export const list: Handler<'tokens.list'> = async (_params, _session, { core }) => ({
  tokens: core.tokens.tokens().map(tokenSummary),
});
