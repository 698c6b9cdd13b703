/**
 * Issue 15, item 1: `check.run` from a page laundered a login. The assistant
 * opened a PIN dialog per token naming no site (`origin: null`), the PIN typed
 * there became the user's own 环境检测 login, and then another trusted origin
 * signed with no PIN dialog at all; an untrusted page (after one 仅此一次)
 * received the whole report. Now: every dialog of a page-initiated check names
 * the site, the login it makes serves that site only, and check.run is for
 * trusted origins only (others: ORIGIN_NOT_ALLOWED, no consent offered).
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRunner } from '../../../src-agent/api/check-runner.js';
import type { PinRequest } from '../../../src-agent/ui/port.js';
import { useFixtures } from '../../helpers/fixtures.js';
import { Client, MALL, OTHER, makeConfig, reasonOf, startHarness, type Harness } from './harness.js';

const fx = await useFixtures();
const supplier = fx.tokens.find((t) => t.key === 'supplier')!;
const HASH = createHash('sha256').update('合同').digest('base64');
const UNTRUSTED = 'https://shop.attacker.example';

/** Answers the supplier's PIN dialog with its PIN and cancels every other key's. */
const supplierOnly = (request: PinRequest) => (request.token.label === supplier.label ? { kind: 'pin' as const, pin: Buffer.from(supplier.userPin) } : { kind: 'cancel' as const });

async function supplierCert(client: Client): Promise<string> {
  const tokens = (await client.call('tokens.list', {})).result?.tokens as { id: string; label: string }[];
  const certs = (await client.call('certs.list', { tokenId: tokens.find((t) => t.label === supplier.label)?.id })).result?.certs as { id: string; kind: string }[];
  return certs.find((c) => c.kind === 'organization')!.id;
}

describe('check.run started by a page', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(fx, await makeConfig(fx, { trustedOrigins: [MALL, OTHER] }), { runCheck: checkRunner() });
  });
  afterAll(async () => h?.stop());

  it('names the site in every PIN dialog, and the login it makes does not let another trusted origin sign without its own PIN', { timeout: 60_000 }, async () => {
    const mall = await Client.open(h.server.port, MALL);
    const other = await Client.open(h.server.port, OTHER);
    h.ui.answerPins(...Array.from({ length: fx.tokens.length }, () => supplierOnly));
    const before = h.ui.pinRequests.length;
    const report = await mall.call('check.run', {});
    expect(report.error).toBeUndefined();
    const checkDialogs = h.ui.pinRequests.slice(before);
    expect(checkDialogs.length).toBeGreaterThan(0);
    expect(checkDialogs.every((r) => r.origin === MALL)).toBe(true);
    const results = (report.result as { checks: { id: string; status: string }[] }).checks;
    expect(results.find((r) => r.id.startsWith('pin.login:') && r.status === 'ok')).toBeDefined();

    // The other trusted origin must prove the PIN itself: its own dialog, naming it.
    const certId = await supplierCert(other);
    h.ui.answerPins(supplier.userPin);
    const asked = h.ui.pinRequests.length;
    const signed = await other.call('sign.hash', { certId, hash: HASH, hashAlgorithm: 'sha256', format: 'cms' });
    expect(signed.result?.format).toBe('cms');
    const dialogs = h.ui.pinRequests.slice(asked);
    expect(dialogs).toHaveLength(1);
    expect(dialogs[0]!.origin).toBe(OTHER);
    mall.close();
    other.close();
  });

  it('is refused to an untrusted origin, even one the user allowed “always”, without a dialog or a report', async () => {
    h.server.consents.grant(UNTRUSTED);
    const page = await Client.open(h.server.port, UNTRUSTED);
    const pins = h.ui.pinRequests.length;
    const consents = h.ui.consentRequests.length;
    const reply = await page.call('check.run', {});
    expect(reasonOf(reply)).toBe('ORIGIN_NOT_ALLOWED');
    expect(reply.result).toBeUndefined();
    expect(reply.error?.data.detailZh).toMatch(/可信/);
    expect(h.ui.pinRequests.length).toBe(pins);
    expect(h.ui.consentRequests.length).toBe(consents);
    // Other methods it was allowed still work.
    expect((await page.call('tokens.list', {})).result?.tokens).toBeDefined();
    h.server.consents.revoke(UNTRUSTED);
    page.close();
  });
});
