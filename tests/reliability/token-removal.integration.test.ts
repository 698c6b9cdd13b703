/**
 * A SoftHSM token deleted while clients sign on it and on another token:
 * requests for the removed token fail with TOKEN_REMOVED (or, for the one in
 * flight, MODULE_FAILED), the other token's requests all succeed. A removed
 * SoftHSM token cannot come back as the same token (its serial and keys are
 * gone), so "re-added" is a new token with the same label, initialized and
 * given a key pair: it appears and logs in (it has no certificate, so it
 * cannot sign through the API until a CA writes one).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { addToken, removeToken, useFixtures } from '../helpers/fixtures.js';
import { certIdOf, fixtureToken, loginAsUser, startAgent, TRUSTED_ORIGINS, type Agent } from './agent.js';
import { reasonOf, RpcClient } from './rpc-client.js';

const fx = await useFixtures();
let agent: Agent;

beforeAll(async () => {
  agent = await startAgent(fx, { pollIntervalMs: 200 });
  await loginAsUser(agent, fixtureToken(fx, 'supplier'));
  await loginAsUser(agent, fixtureToken(fx, 'purchaser'));
});
afterAll(async () => agent?.stop());

describe('token removed during load', () => {
  it('TOKEN_REMOVED for its requests, the other token unaffected, a re-added token signs', { timeout: 60_000 }, async () => {
    const removedCert = await certIdOf(agent, fixtureToken(fx, 'purchaser'), 'EC');
    const keptCert = await certIdOf(agent, fixtureToken(fx, 'supplier'), 'EC');
    const clients = await Promise.all(Array.from({ length: 6 }, (_, i) => RpcClient.open(agent.port, TRUSTED_ORIGINS[i % 2]!)));
    const outcomes = { removed: new Map<string, number>(), kept: new Map<string, number>() };
    let stop = false;
    let removedAt = Infinity;
    const loops = clients.map(async (client, c) => {
      for (let i = 0; !stop; i++) {
        const which = (c + i) % 2 === 0 ? 'removed' : 'kept';
        const reply = await client.call('sign.hash', { certId: which === 'removed' ? removedCert : keptCert, hash: Buffer.alloc(32, i).toString('base64'), hashAlgorithm: 'sha256', format: 'cms' }, 20_000);
        const outcome = reasonOf(reply) ?? 'ok';
        const key = performance.now() > removedAt ? `${outcome} (after)` : outcome;
        outcomes[which].set(key, (outcomes[which].get(key) ?? 0) + 1);
      }
    });
    await new Promise((r) => setTimeout(r, 1000));
    removedAt = performance.now();
    await removeToken(fx, 'purchaser');
    await expect.poll(() => outcomes.removed.get('TOKEN_REMOVED (after)') ?? 0, { timeout: 10_000 }).toBeGreaterThan(20);
    stop = true;
    await Promise.all(loops);
    console.log('[token-removal] removed token:', Object.fromEntries(outcomes.removed), 'other token:', Object.fromEntries(outcomes.kept));
    expect([...outcomes.kept.keys()].every((k) => k.startsWith('ok'))).toBe(true);
    const removedReasons = [...outcomes.removed.keys()].map((k) => k.replace(' (after)', ''));
    expect(removedReasons.filter((r) => !['ok', 'TOKEN_REMOVED', 'MODULE_FAILED'].includes(r))).toEqual([]);
    // At most the calls in flight when the token vanished get something other than TOKEN_REMOVED.
    expect((outcomes.removed.get('MODULE_FAILED (after)') ?? 0)).toBeLessThanOrEqual(clients.length);

    // Re-added: a fresh token with the same label, with a key pair, appears and signs (raw).
    const label = fixtureToken(fx, 'purchaser').label;
    await addToken(fx, label, '13572468');
    await expect.poll(() => agent.core.tokens.tokens().some((t) => t.label === label), { timeout: 10_000 }).toBe(true);
    const tokenId = agent.core.tokens.tokens().find((t) => t.label === label)!.id;
    await promisify(execFile)('pkcs11-tool', ['--module', fx.softhsmModule, '--token-label', label, '--login', '--pin', '13572468', '--keypairgen', '--key-type', 'EC:prime256v1', '--id', '01'], { env: { ...process.env, SOFTHSM2_CONF: fx.softhsmConf } });
    await agent.core.tokens.login(tokenId, Buffer.from('13572468'));
    expect(agent.core.tokens.tokens().find((t) => t.id === tokenId)?.loggedIn).toBe(true);
    const kept = await clients[0]!.call('sign.hash', { certId: keptCert, hash: Buffer.alloc(32, 7).toString('base64'), hashAlgorithm: 'sha256', format: 'cms' });
    expect(reasonOf(kept)).toBeUndefined();
    for (const client of clients) client.close();
  });
});
