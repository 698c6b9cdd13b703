/**
 * Issue 15, items 2 and 3.
 * - 2: 仅此一次 allowed every concurrent request: five concurrent sign.hash
 *   from one connection, one consent, one PIN dialog naming the first
 *   document, five signatures. Now one answer covers the request that asked;
 *   the others are refused while its dialog is open, and each later request
 *   gets its own dialog showing its own document.
 * - 3: one origin queued 64 consent dialogs (8 connections × 8 methods) and
 *   拒绝 was remembered per connection and method only. Now one open dialog
 *   per origin and a few in all, 拒绝 holds for the origin for the run,
 *   始终拒绝 across restarts.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_PENDING_CONSENTS_TOTAL } from '../../../src-agent/limits.js';
import { ConsentStore } from '../../../src-agent/service/consent-store.js';
import type { ConsentAnswer } from '../../../src-agent/ui/port.js';
import { useFixtures } from '../../helpers/fixtures.js';
import { Client, MALL, makeConfig, reasonOf, startHarness, type Harness } from './harness.js';

const fx = await useFixtures();
const supplier = fx.tokens.find((t) => t.key === 'supplier')!;
const hashOf = (text: string): string => createHash('sha256').update(text).digest('base64');

let h: Harness;
beforeAll(async () => {
  h = await startHarness(fx, await makeConfig(fx));
});
afterAll(async () => h?.stop());

async function supplierCert(client: Client): Promise<string> {
  const tokens = (await client.call('tokens.list', {})).result?.tokens as { id: string; label: string }[];
  const certs = (await client.call('certs.list', { tokenId: tokens.find((t) => t.label === supplier.label)?.id })).result?.certs as { id: string; kind: string }[];
  return certs.find((c) => c.kind === 'organization')!.id;
}

describe('仅此一次', () => {
  it('five concurrent sign.hash after one 仅此一次 give one signature; later ones each show their own document', { timeout: 60_000 }, async () => {
    const origin = 'https://once.shop.example';
    const mall = await Client.open(h.server.port, MALL);
    const certId = await supplierCert(mall);
    mall.close();
    const page = await Client.open(h.server.port, origin);
    h.ui.clearAnswers().answerConsents(...Array.from({ length: 3 }, () => 'once' as const));
    // A PIN at every signature (issue 14): the one signed now and the two later ones.
    h.ui.answerPins(supplier.userPin, supplier.userPin, supplier.userPin);
    const consentsBefore = h.ui.consentRequests.length;
    const docs = ['合同A.pdf', '合同B.pdf', '合同C.pdf', '合同D.pdf', '合同E.pdf'];
    const replies = await Promise.all(docs.map((name) => page.call('sign.hash', { certId, hash: hashOf(name), hashAlgorithm: 'sha256', format: 'cms', document: { name } })));
    const signed = replies.filter((r) => r.result?.signature);
    console.log(`[consent] 5 concurrent sign.hash after one 仅此一次: ${signed.length} signed, refused ${replies.filter((r) => r.error).map(reasonOf).join(', ')}`);
    expect(signed).toHaveLength(1);
    expect(replies.filter((r) => reasonOf(r) === 'BUSY')).toHaveLength(4);
    expect(h.ui.consentRequests.length - consentsBefore).toBe(1);
    // Each later request asks again, and the dialog names its own document.
    for (const name of ['合同F.pdf', '合同G.pdf']) {
      const reply = await page.call('sign.hash', { certId, hash: hashOf(name), hashAlgorithm: 'sha256', format: 'cms', document: { name } });
      expect(reply.result?.signature).toBeDefined();
      expect(h.ui.consentRequests.at(-1)).toMatchObject({ origin, method: 'sign.hash', documentName: name });
    }
    page.close();
  });
});

describe('consent flooding', () => {
  it('keeps one dialog open per origin and a few in all, however many connections, methods and subdomains ask', { timeout: 60_000 }, async () => {
    let open = 0;
    let most = 0;
    const release: ((a: ConsentAnswer) => void)[] = [];
    const hold = (): Promise<ConsentAnswer> => {
      open++;
      most = Math.max(most, open);
      return new Promise<ConsentAnswer>((r) => release.push((a) => { open--; r(a); }));
    };
    h.ui.clearAnswers().answerConsents(...Array.from({ length: 200 }, () => hold));
    const methods = ['tokens.list', 'certs.list', 'session.logout', 'seals.get', 'certs.chain', 'verify.cms', 'auth.challenge', 'sign.hash'];
    const origins = ['https://flood.example', ...Array.from({ length: 10 }, (_, i) => `https://s${i}.flood.example`)];
    const clients = await Promise.all(origins.flatMap((o) => Array.from({ length: o === origins[0] ? 4 : 1 }, () => Client.open(h.server.port, o))));
    const before = h.ui.consentRequests.length;
    // Malformed params are refused before any dialog; use the simplest valid params per method.
    const params: Record<string, unknown> = { 'session.logout': { tokenId: 't' }, 'seals.get': { certId: 'c' }, 'certs.chain': { certId: 'c' }, 'verify.cms': { signature: Buffer.alloc(300).toString('base64'), hash: hashOf('x'), hashAlgorithm: 'sha256' }, 'auth.challenge': { certId: 'c', nonce: Buffer.alloc(16).toString('base64') }, 'sign.hash': { certId: 'c', hash: hashOf('x'), hashAlgorithm: 'sha256', format: 'cms' } };
    const calls = clients.flatMap((c) => methods.map((m) => c.call(m, params[m] ?? {})));
    await expect.poll(() => h.ui.consentRequests.length - before, { timeout: 5000 }).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 500));
    const asked = h.ui.consentRequests.length - before;
    console.log(`[consent] ${calls.length} requests from ${origins.length} origins: ${asked} dialogs asked, at most ${most} open at once`);
    expect(most).toBeLessThanOrEqual(MAX_PENDING_CONSENTS_TOTAL);
    expect(new Set(h.ui.consentRequests.slice(before).map((r) => r.origin)).size).toBe(asked); // one per origin
    // A trusted mall is not queued behind them: its call needs no consent and is answered at once.
    const mall = await Client.open(h.server.port, MALL);
    expect((await mall.call('tokens.list', {})).result?.tokens).toBeDefined();
    for (const r of release.splice(0)) r('deny');
    const reasons = (await Promise.all(calls)).map(reasonOf);
    h.ui.clearAnswers();
    expect(reasons.every((r) => r === 'BUSY' || r === 'USER_DENIED')).toBe(true);
    clients.forEach((c) => c.close());
    mall.close();
  });

  it('拒绝 holds for the origin across connections and methods for the run; 始终拒绝 across restarts', async () => {
    const origin = 'https://deny.shop.example';
    h.ui.answerConsents('deny');
    const first = await Client.open(h.server.port, origin);
    expect(reasonOf(await first.call('tokens.list', {}))).toBe('USER_DENIED');
    first.close();
    const again = await Client.open(h.server.port, origin);
    const asked = h.ui.consentRequests.length;
    expect(reasonOf(await again.call('certs.list', {}))).toBe('USER_DENIED');
    expect(h.ui.consentRequests.length).toBe(asked); // no dialog reopened
    again.close();

    const blocked = 'https://block.shop.example';
    h.ui.answerConsents('block');
    const page = await Client.open(h.server.port, blocked);
    expect(reasonOf(await page.call('tokens.list', {}))).toBe('USER_DENIED');
    page.close();
    expect(new ConsentStore(h.dataDir).isBlocked(blocked)).toBe(true);
    expect(new ConsentStore(h.dataDir).has(blocked)).toBe(false);
  });
});
