/** The `mobileSigning` config keys: only https (or loopback http) service URLs, at least one mobile CA root, bounded session time. */
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src-agent/config.js';

const parse = (mobileSigning: unknown) => parseConfig(JSON.stringify({ mobileSigning }), '配置', '/etc/ca-assistant');

describe('config mobileSigning', () => {
  it('accepts https and loopback http, resolves the roots, defaults the session to 120 s', () => {
    expect(parse({ serviceUrl: 'https://sign.gcyt.example.cn/', trustAnchors: ['mobile-ca.pem'] }).mobileSigning).toEqual({
      serviceUrl: 'https://sign.gcyt.example.cn', trustAnchors: ['/etc/ca-assistant/mobile-ca.pem'], sessionSeconds: 120,
    });
    expect(parse({ serviceUrl: 'http://127.0.0.1:8090', trustAnchors: ['/x.pem'], sessionSeconds: 60 }).mobileSigning?.serviceUrl).toBe('http://127.0.0.1:8090');
    expect(parseConfig('{}').mobileSigning).toBeUndefined();
  });

  it.each([
    ['plain http to another host', { serviceUrl: 'http://sign.gcyt.example.cn', trustAnchors: ['a.pem'] }, '移动签服务地址须为 https://'],
    ['credentials in the URL', { serviceUrl: 'https://u:p@sign.example.cn', trustAnchors: ['a.pem'] }, '移动签服务地址'],
    ['a query string', { serviceUrl: 'https://sign.example.cn/?x=1', trustAnchors: ['a.pem'] }, '移动签服务地址'],
    ['not a URL', { serviceUrl: 'sign.example.cn', trustAnchors: ['a.pem'] }, '不是有效的网址'],
    ['no roots', { serviceUrl: 'https://sign.example.cn', trustAnchors: [] }, 'mobileSigning.trustAnchors'],
    ['a session over 10 minutes', { serviceUrl: 'https://sign.example.cn', trustAnchors: ['a.pem'], sessionSeconds: 601 }, 'mobileSigning.sessionSeconds'],
    ['an unknown key', { serviceUrl: 'https://sign.example.cn', trustAnchors: ['a.pem'], url: 'x' }, 'mobileSigning'],
  ])('refuses %s in Chinese, naming the field', (_what, value, text) => {
    expect(() => parse(value)).toThrow(ConfigError);
    expect(() => parse(value)).toThrow(text);
  });
});
