import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useFixtures } from '../../helpers/fixtures.js';
import { Client, MALL, makeConfig, reasonOf, startHarness, type Harness } from './harness.js';

const fx = await useFixtures();
const supplier = fx.tokens.find((t) => t.key === 'supplier')!;
const HASH = createHash('sha256').update('合同').digest('base64');

/** Resolves with the HTTP status of a refused upgrade (or 101 when accepted). */
function upgradeStatus(port: number, headers: Record<string, string>, origin?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { ...(origin ? { origin } : {}), headers });
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', reject);
  });
}

describe('origin policy', () => {
  let h: Harness;
  let certId: string;
  beforeAll(async () => {
    h = await startHarness(fx, await makeConfig(fx));
    const mall = await Client.open(h.server.port, MALL);
    const certs = (await mall.call('certs.list', {})).result?.certs as { id: string; fingerprintSha256: string }[];
    certId = certs.find((c) => c.fingerprintSha256 === supplier.certs[0]?.fingerprintSha256)!.id;
    // The mall logs the token in: an attacker must still not ride on it.
    h.ui.answerPins(supplier.userPin);
    expect((await mall.call('sign.hash', { certId, hash: HASH, hashAlgorithm: 'sha256', format: 'cms' })).result).toBeDefined();
    mall.close();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('refuses an upgrade without Origin, or with a foreign Host (DNS rebinding)', async () => {
    const port = h.server.port;
    expect(await upgradeStatus(port, {})).toBe(403);
    expect(await upgradeStatus(port, { Host: `evil.example:${port}` }, MALL)).toBe(403);
    expect(await upgradeStatus(port, { Host: `127.0.0.1:${port + 1}` }, MALL)).toBe(403);
    expect(await upgradeStatus(port, { Host: `localhost:${port}` }, MALL)).toBe(101);
  });

  it('answers plain HTTP with 426', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: h.server.port, path: '/' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(426);
  });

  const attackers = [
    'null',
    'file://',
    'http://mall.example.gov.cn',
    'https://mall.example.gov.cn:8443',
    'https://mall.example.gov.cn.evil.example',
    'https://evil.example/mall.example.gov.cn',
    'https://MALL.example.gov.cn',
    'https://mäll.example.gov.cn',
    'https://xn--mll-hoa.example.gov.cn',
  ];

  it.each(attackers)('%s reaches nothing beyond system.hello without consent and cannot sign', async (origin) => {
    const client = await Client.open(h.server.port, origin);
    try {
      const hello = await client.call('system.hello', {});
      expect(hello.result).toMatchObject({ trusted: false, origin });
      for (const [method, params] of [
        ['tokens.list', {}],
        ['certs.list', {}],
        ['seals.get', { certId }],
        ['session.logout', { tokenId: certId.split('.')[0] }],
        ['sign.hash', { certId, hash: HASH, hashAlgorithm: 'sha256', format: 'cms' }],
        ['auth.challenge', { certId, nonce: Buffer.alloc(16, 1).toString('base64') }],
      ] as const) {
        const reply = await client.call(method, params);
        expect(reply.result, `${origin} ${method}`).toBeUndefined();
        expect(['ORIGIN_NOT_ALLOWED', 'USER_DENIED']).toContain(reasonOf(reply));
      }
      // Only the progress of its own request (waiting for the consent dialog); nothing about the keys.
      expect(client.events.filter((e) => e.method !== 'request.progress')).toEqual([]);
    } finally {
      client.close();
    }
  });

  it('never offered consent to null, file:// or non-canonical origins; the rest got the dialog and no PIN dialog', () => {
    const asked = new Set(h.ui.consentRequests.map((r) => r.origin));
    for (const o of ['null', 'file://', 'http://mall.example.gov.cn', 'https://MALL.example.gov.cn', 'https://mäll.example.gov.cn', 'https://evil.example/mall.example.gov.cn']) {
      expect(asked.has(o), o).toBe(false);
    }
    expect(asked.has('https://mall.example.gov.cn.evil.example')).toBe(true);
    expect(h.ui.pinRequests.map((r) => r.origin)).toEqual([MALL]);
    const audit = readFileSync(join(h.dataDir, 'audit', 'audit.jsonl'), 'utf8').trim().split('\n');
    expect(audit).toHaveLength(1);
  });

  it('asks consent once per connection and method after a deny', async () => {
    const client = await Client.open(h.server.port, 'https://shop.example.com');
    const start = h.ui.consentRequests.length;
    h.ui.answerConsents('deny');
    expect(reasonOf(await client.call('tokens.list', {}))).toBe('USER_DENIED');
    expect(reasonOf(await client.call('tokens.list', {}))).toBe('USER_DENIED');
    expect(h.ui.consentRequests.length).toBe(start + 1);
    client.close();
  });
});

describe('consent', () => {
  it('once allows one request; always is persisted and survives a restart; events only for allowed origins', async () => {
    const config = await makeConfig(fx);
    const origin = 'https://partner.example.com';
    let h = await startHarness(fx, config);
    try {
      const client = await Client.open(h.server.port, origin);
      h.ui.answerConsents('once');
      expect((await client.call('tokens.list', {})).result).toBeDefined();
      expect(h.ui.consentRequests).toEqual([{ origin, method: 'tokens.list' }]);
      h.ui.answerConsents('always');
      expect((await client.call('tokens.list', {})).result).toBeDefined();
      expect(h.ui.consentRequests).toHaveLength(2);
      expect((await client.call('certs.list', {})).result).toBeDefined();
      expect(h.ui.consentRequests).toHaveLength(2);
      expect(JSON.parse(readFileSync(join(config.dataDir, 'consents.json'), 'utf8')).always[0].origin).toBe(origin);
      client.close();
    } finally {
      await h.stop();
    }
    h = await startHarness(fx, config);
    try {
      const client = await Client.open(h.server.port, origin);
      const stranger = await Client.open(h.server.port, 'https://stranger.example');
      expect((await client.call('tokens.list', {})).result).toBeDefined();
      expect(h.ui.consentRequests).toHaveLength(0);
      const tokenId = ((await client.call('tokens.list', {})).result?.tokens as { id: string; label: string }[]).find((t) => t.label === '采购人')!.id;
      await h.core.tokens.login(tokenId, Buffer.from(fx.tokens.find((t) => t.key === 'purchaser')!.userPin));
      await expect.poll(() => client.events.some((e) => e.method === 'tokens.changed'), { timeout: 10_000 }).toBe(true);
      expect(stranger.events).toEqual([]);
      client.close();
      stranger.close();
    } finally {
      await h.stop();
    }
  });
});
