/** Starts a TokenManager on the per-file SoftHSM fixtures (through pin-guard). */
import { loadVendorTable, resolveModules } from '../../src-agent/tokens/registry.js';
import { TokenManager, type TokenManagerOptions } from '../../src-agent/tokens/token-manager.js';
import type { TokenInfo } from '../../src-agent/tokens/types.js';
import { fixtureEnv, type FixtureManifest } from './fixtures.js';

export async function startTokens(fx: FixtureManifest, extra: Partial<TokenManagerOptions> = {}): Promise<TokenManager> {
  const vendors = loadVendorTable();
  return TokenManager.start({
    modules: resolveModules([fx.pinGuardModule], vendors, true),
    vendors,
    env: { ...fixtureEnv(fx), CA_ASSISTANT_TEST_HOOKS: '1' },
    ...extra,
  });
}

export function tokenByLabel(manager: TokenManager, label: string): TokenInfo {
  const token = manager.tokens().find((t) => t.label === label);
  if (!token) throw new Error(`no token labelled ${label}: ${manager.tokens().map((t) => t.label).join(', ')}`);
  return token;
}

/** Resolves with the tokens of the first `changed` event that satisfies `predicate`. */
export function waitForChange(manager: TokenManager, predicate: (tokens: TokenInfo[]) => boolean, timeoutMs = 5000): Promise<TokenInfo[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error('no matching tokens.changed event'));
    }, timeoutMs);
    const off = manager.on('changed', (tokens) => {
      if (!predicate(tokens)) return;
      clearTimeout(timer);
      off();
      resolve(tokens);
    });
  });
}

