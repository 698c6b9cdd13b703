import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UI_TOKEN_HEADER } from '../../src-agent/ui/headless/index.js';
import { useFixtures } from '../helpers/fixtures.js';
import { startUiHarness, type UiHarness } from './ui-harness.js';

const fx = await useFixtures();
let h: UiHarness;
beforeAll(async () => {
  h = await startUiHarness(fx, { sdk: false });
});
afterAll(async () => h?.stop());

/** Exchanges a fresh one-time entry URL for the session cookie and the page token, as a browser would. */
async function enter(): Promise<{ cookie: string; token: string }> {
  const res = await fetch(h.headless.newEntryUrl(), { redirect: 'manual' });
  expect(res.status).toBe(303);
  const cookie = res.headers.get('set-cookie') ?? '';
  expect(cookie).toMatch(/HttpOnly/);
  expect(cookie).toMatch(/SameSite=Strict/);
  const token = /#k=([A-Za-z0-9_-]{43})$/.exec(res.headers.get('location') ?? '')?.[1];
  expect(token).toBeDefined();
  return { cookie: cookie.split(';')[0] as string, token: token! };
}
async function login(): Promise<string> {
  return (await enter()).cookie;
}

describe('headless UI server', () => {
  it('puts a 32-byte base64url one-time code in the entry URL', () => {
    expect(h.headless.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/ui\/[A-Za-z0-9_-]{43}$/);
  });

  it('refuses a wrong entry secret and pages without the cookie', async () => {
    expect((await fetch(`${h.headless.origin}/ui/${'A'.repeat(43)}`, { redirect: 'manual' })).status).toBe(403);
    expect((await fetch(`${h.headless.origin}/main.html`)).status).toBe(403);
    const page = await fetch(`${h.headless.origin}/main.html`, { headers: { cookie: await login() } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(await page.text()).toContain('/headless-bridge.js');
  });

  it('refuses bridge calls without the secret', async () => {
    const res = await fetch(`${h.headless.origin}/bridge/getStatus`, { method: 'POST', headers: { origin: h.headless.origin, 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(403);
  });

  it('refuses bridge calls with the secret from another origin', async () => {
    const cookie = await login();
    for (const origin of [h.trustedMall, 'http://evil.example', 'null']) {
      const res = await fetch(`${h.headless.origin}/bridge/getStatus`, { method: 'POST', headers: { cookie, origin, 'content-type': 'application/json' }, body: '{}' });
      expect(res.status, origin).toBe(403);
    }
    const cross = await fetch(`${h.headless.origin}/bridge/events`, { headers: { cookie, 'sec-fetch-site': 'cross-site' } });
    expect(cross.status).toBe(403);
    const noOrigin = await fetch(`${h.headless.origin}/bridge/getStatus`, { method: 'POST', headers: { cookie }, body: '{}' });
    expect(noOrigin.status).toBe(403);
  });

  it('refuses a foreign Host (DNS rebinding)', async () => {
    const cookie = await login();
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: h.headless.port, path: '/bridge/getStatus', method: 'POST', headers: { host: `evil.example:${h.headless.port}`, cookie, origin: `http://evil.example:${h.headless.port}` } }, (res) => resolve(res.statusCode ?? 0));
      req.on('error', reject);
      req.end('{}');
    });
    expect(status).toBe(403);
  });

  it('answers a same-origin call with the cookie and the page token, and rejects unknown params', async () => {
    const { cookie, token } = await enter();
    const ok = await fetch(`${h.headless.origin}/bridge/getStatus`, { method: 'POST', headers: { cookie, [UI_TOKEN_HEADER]: token, origin: h.headless.origin }, body: '{}' });
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as { result: { agent: { listening: boolean; port: number }; tokens: unknown[] } };
    expect(body.result.agent).toEqual({ listening: true, port: h.api.port });
    expect(body.result.tokens.length).toBe(fx.tokens.length);
    const origins = await fetch(`${h.headless.origin}/bridge/listOrigins`, { method: 'POST', headers: { cookie, [UI_TOKEN_HEADER]: token, origin: h.headless.origin }, body: '{}' });
    expect(((await origins.json()) as { result: { trusted: string[] } }).result.trusted).toEqual([h.trustedMall]);
    const bad = await fetch(`${h.headless.origin}/bridge/getStatus`, { method: 'POST', headers: { cookie, [UI_TOKEN_HEADER]: token, origin: h.headless.origin }, body: '{"x":1}' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { reason: string }).reason).toBe('BAD_REQUEST');
    // runCheck's key choice: a list of short ids, nothing else.
    for (const params of [{ pinTokens: 'abc' }, { pinTokens: [1] }, { pinTokens: [''] }, { pinTokens: ['x'.repeat(201)] }, { pinTokens: Array.from({ length: 33 }, (_, i) => `t${i}`) }, { pinTokens: [], extra: 1 }]) {
      const r = await fetch(`${h.headless.origin}/bridge/runCheck`, { method: 'POST', headers: { cookie, [UI_TOKEN_HEADER]: token, origin: h.headless.origin }, body: JSON.stringify(params) });
      expect(r.status, JSON.stringify(params).slice(0, 60)).toBe(400);
    }
  });
});
