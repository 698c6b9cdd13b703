import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeToken, useFixtures } from '../../helpers/fixtures.js';
import { Client, MALL, OTHER, makeConfig, reasonOf, startHarness, type Harness } from './harness.js';

const fx = await useFixtures();
const pinOf = (key: string): string => fx.tokens.find((t) => t.key === key)!.userPin;
const HASH = createHash('sha256').update('合同').digest('base64');

async function certOf(client: Client, label: string, kind = 'organization'): Promise<string> {
  const tokens = (await client.call('tokens.list', {})).result?.tokens as { id: string; label: string }[];
  const tokenId = tokens.find((t) => t.label === label)?.id;
  const certs = (await client.call('certs.list', { tokenId })).result?.certs as { id: string; kind: string }[];
  const cert = certs.find((c) => c.kind === kind) ?? certs[0];
  if (!cert) throw new Error(`no cert on ${label}`);
  return cert.id;
}

const sign = (client: Client, certId: string) => client.call('sign.hash', { certId, hash: HASH, hashAlgorithm: 'sha256', format: 'cms' });

describe('login policy', () => {
  let h: Harness;
  let mall: Client;
  beforeAll(async () => {
    h = await startHarness(fx, await makeConfig(fx, { trustedOrigins: [MALL, OTHER] }));
    mall = await Client.open(h.server.port, MALL);
  });
  afterAll(async () => {
    mall?.close();
    await h?.stop();
  });

  it('asks again after a wrong PIN with attempt 2 and the retry state, then signs', async () => {
    const certId = await certOf(mall, '采购人', 'personal');
    h.ui.answerPins('00000000', pinOf('purchaser'));
    const start = h.ui.pinRequests.length;
    const reply = await sign(mall, certId);
    expect(reply.result?.format).toBe('cms');
    const asks = h.ui.pinRequests.slice(start);
    expect(asks.map((r) => r.attempt)).toEqual([1, 2]);
    expect(asks[1]).toMatchObject({ lastError: 'PIN_INCORRECT', pin: { countLow: true } });
  });

  it('cancel gives USER_CANCELLED', async () => {
    const certId = await certOf(mall, '供应商');
    h.ui.answerPins('cancel');
    expect(reasonOf(await sign(mall, certId))).toBe('USER_CANCELLED');
  });

  it('a locked PIN gives PIN_LOCKED without any dialog', async () => {
    const certId = await certOf(mall, '已锁定');
    const start = h.ui.pinRequests.length;
    const reply = await sign(mall, certId);
    expect(reasonOf(reply)).toBe('PIN_LOCKED');
    expect(reply.error?.data.retriesLeft).toBe(0);
    expect(h.ui.pinRequests.length).toBe(start);
  });

  it('announces the final try, and a wrong PIN there ends in PIN_LOCKED with no further dialog', async () => {
    const certId = await certOf(mall, '最后一次');
    const start = h.ui.pinRequests.length;
    h.ui.answerPins('99999999', pinOf('finaltry'));
    expect(reasonOf(await sign(mall, certId))).toBe('PIN_LOCKED');
    const asks = h.ui.pinRequests.slice(start);
    expect(asks).toHaveLength(1);
    expect(asks[0]?.pin).toMatchObject({ finalTry: true, retriesLeft: 1 });
  });

  it('a login made for origin A does not let origin B sign without its own PIN', async () => {
    const other = await Client.open(h.server.port, OTHER);
    try {
      const certId = await certOf(mall, '供应商');
      h.ui.answerPins(pinOf('supplier'));
      expect((await sign(mall, certId)).result).toBeDefined();
      const start = h.ui.pinRequests.length;
      expect((await sign(mall, certId)).result).toBeDefined();
      expect(h.ui.pinRequests.length).toBe(start);
      h.ui.answerPins('cancel');
      expect(reasonOf(await sign(other, certId))).toBe('USER_CANCELLED');
      expect(h.ui.pinRequests.length).toBe(start + 1);
      expect(h.ui.pinRequests.at(-1)?.origin).toBe(OTHER);
      h.ui.answerPins(pinOf('supplier'));
      expect((await sign(other, certId)).result).toBeDefined();
      expect(h.ui.pinRequests.length).toBe(start + 2);
    } finally {
      other.close();
    }
  });

  it('a dialog waiting for one origin does not block another origin’s read-only calls', async () => {
    const certId = await certOf(mall, '供应商');
    await mall.call('session.logout', { tokenId: certId.split('.')[0] });
    let release: (() => void) | undefined;
    h.ui.answerPins(() => new Promise((resolve) => (release = () => resolve({ kind: 'cancel' }))));
    const pending = sign(mall, certId);
    await expect.poll(() => release !== undefined, { timeout: 10_000 }).toBe(true);
    const other = await Client.open(h.server.port, OTHER);
    const listed = await other.call('tokens.list', {});
    expect((listed.result?.tokens as unknown[]).length).toBeGreaterThan(0);
    expect((await other.call('certs.list', {})).result).toBeDefined();
    release?.();
    expect(reasonOf(await pending)).toBe('USER_CANCELLED');
    other.close();
  });

  it('key removal mid-session gives TOKEN_REMOVED; other tokens still work', async () => {
    const purchaserCert = await certOf(mall, '采购人', 'personal');
    const supplierCert = await certOf(mall, '供应商');
    await removeToken(fx, 'purchaser');
    await expect.poll(async () => reasonOf(await sign(mall, purchaserCert)), { timeout: 5000 }).toBe('TOKEN_REMOVED');
    h.ui.answerPins(pinOf('supplier'));
    expect((await sign(mall, supplierCert)).result?.format).toBe('cms');
    expect(mall.events.some((e) => e.method === 'tokens.changed' && !(e.params as { tokens: { label: string }[] }).tokens.some((t) => t.label === '采购人'))).toBe(true);
  });
});

describe('环境检测 login', () => {
  it('serves a trusted origin silently until idle timeout, never an untrusted consented one', async () => {
    const h = await startHarness(fx, await makeConfig(fx, { pinCacheSeconds: 1 }));
    const mall = await Client.open(h.server.port, MALL);
    const stranger = await Client.open(h.server.port, 'https://stranger.example');
    try {
      const certId = await certOf(mall, '供应商');
      const tokenId = certId.split('.')[0] ?? '';
      await h.core.tokens.login(tokenId, Buffer.from(pinOf('supplier')));
      h.server.policy.registerUserLogin(tokenId);
      expect((await sign(mall, certId)).result).toBeDefined();
      expect(h.ui.pinRequests).toHaveLength(0);
      h.ui.answerConsents('once');
      h.ui.answerPins('cancel');
      expect(reasonOf(await sign(stranger, certId))).toBe('USER_CANCELLED');
      expect(h.ui.pinRequests).toHaveLength(1);
      await new Promise((r) => setTimeout(r, 1600));
      h.ui.answerPins('cancel');
      expect(reasonOf(await sign(mall, certId))).toBe('USER_CANCELLED');
      expect(h.ui.pinRequests).toHaveLength(2);
    } finally {
      mall.close();
      stranger.close();
      await h.stop();
    }
  });
});
