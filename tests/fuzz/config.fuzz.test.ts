/**
 * Config file fuzzing: hostile and broken configs fail with a ConfigError whose
 * message is Chinese and names the problem; whatever parses trusts only exact
 * https (or loopback http) origins; `serve` on a bad config exits with code 2
 * without opening its port.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, normalizeTrustedOrigin, parseConfig } from '../../src-agent/config.js';
import { MAX_CONFIG_BYTES } from '../../src-agent/limits.js';
import { SeededRandom } from '../reliability/seeded-random.js';
import { FUZZ_SEED } from './generator.js';

const CJK = /[\u4e00-\u9fff]/;

const HOSTILE_ORIGINS = ['*', 'https://*.gov.cn', '*.gov.cn', 'null', 'http://evil.example', 'file://', 'https://', 'https://user:pw@mall.example',
  'https://mall.example/path', 'https://mall.example?x=1', 'https://mall.example#x', 'javascript:alert(1)', 'data:text/html,x', 'ws://127.0.0.1:1',
  'http://127.0.0.1.evil.example', 'https://mall.example\u0000.evil', '', ' ', 'x'.repeat(301)];

const HOSTILE_CONFIGS: Record<string, string> = {
  'not JSON': '{"port": 21518,',
  'empty file': '',
  'array at top': '[]',
  'string at top': '"trustedOrigins"',
  'null at top': 'null',
  'proto pollution (trustedOrigins)': '{"__proto__": {"trustedOrigins": ["https://evil.example"]}}',
  'proto pollution (nested)': '{"trustedOrigins": [], "seals": [{"__proto__": {"image": "/etc/passwd"}}]}',
  'constructor.prototype': '{"constructor": {"prototype": {"trustedOrigins": ["https://evil.example"]}}}',
  'unknown key': '{"trustedOrigin": ["https://mall.example"]}',
  'wrong type: trustedOrigins string': '{"trustedOrigins": "https://mall.example"}',
  'wrong type: port string': '{"port": "21518"}',
  'port out of range': '{"port": 70000}',
  'port float': '{"port": 215.18}',
  'pinCacheSeconds negative': '{"pinCacheSeconds": -1}',
  'too many origins': JSON.stringify({ trustedOrigins: Array.from({ length: 101 }, (_, i) => `https://m${i}.example`) }),
  'duplicate key, hostile last': '{"trustedOrigins": ["https://mall.example"], "trustedOrigins": ["*"]}',
  'deep nesting': `{"seals": ${'['.repeat(5000)}${']'.repeat(5000)}}`,
  'language wrong': '{"language": "fr"}',
  'huge string': JSON.stringify({ dataDir: 'x'.repeat(200_000) }),
};

describe('config fuzzing', () => {
  it.each(HOSTILE_ORIGINS)('rejects trustedOrigins [%j] with a Chinese ConfigError', (origin) => {
    expect(() => parseConfig(JSON.stringify({ trustedOrigins: [origin] }))).toThrow(ConfigError);
    try {
      parseConfig(JSON.stringify({ trustedOrigins: [origin] }));
    } catch (error) {
      expect((error as Error).message).toMatch(CJK);
      expect((error as Error).message).toContain('trustedOrigins');
    }
  });

  it.each(Object.entries(HOSTILE_CONFIGS))('rejects %s with a Chinese ConfigError and pollutes nothing', (_name, text) => {
    let thrown: unknown;
    try {
      parseConfig(text);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as Error).message).toMatch(CJK);
    expect(({} as Record<string, unknown>).trustedOrigins).toBeUndefined();
    expect(({} as Record<string, unknown>).image).toBeUndefined();
  });

  it('rejects a config file over MAX_CONFIG_BYTES before reading it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ca-assistant-cfg-'));
    const file = join(dir, 'big.json');
    await writeFile(file, `{"modules": []${' '.repeat(MAX_CONFIG_BYTES)}}`);
    expect(() => loadConfig(file)).toThrow(/配置文件过大/);
  });

  it(`2,000 mutated configs (seed ${FUZZ_SEED}): ConfigError or a config trusting only exact https/loopback origins`, () => {
    const r = new SeededRandom(FUZZ_SEED);
    const values: unknown[] = [null, true, 0, -1, 1e308, '', '*', 'https://*.gov.cn', 'http://evil.example', 'null', [], {}, ['*'], ['https://mall.example'],
      { __proto__: null }, JSON.parse('{"__proto__": {"x": 1}}'), 'x'.repeat(2000), '\ud800', 'https://mall.example:99999'];
    const keys = ['port', 'trustedOrigins', 'modules', 'onlyConfiguredModules', 'vendorTable', 'trustAnchors', 'intermediates', 'seals', 'pinCacheSeconds', 'pinReuseMinutes', 'pinReuseOrigins',
      'dataDir', 'language', 'sm2UserId', '__proto__', 'constructor', 'prototype', 'extra'];
    let accepted = 0;
    for (let i = 0; i < 2000; i++) {
      const config: Record<string, unknown> = { trustedOrigins: ['https://mall.example.gov.cn'] };
      for (let n = r.int(1, 3); n > 0; n--) {
        const key = r.pick(keys);
        const value = r.next() < 0.3 ? [r.pick(values)] : r.pick(values);
        Object.defineProperty(config, key, { value, enumerable: true, configurable: true, writable: true });
      }
      const text = JSON.stringify(config);
      try {
        const parsed = parseConfig(text);
        accepted++;
        for (const origin of parsed.trustedOrigins) {
          if (normalizeTrustedOrigin(origin) !== origin || origin.includes('*') || !/^(https:\/\/|http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:|$))/.test(origin)) {
            throw new Error(`config #${i} trusts ${origin}: ${text.slice(0, 300)}`);
          }
        }
      } catch (error) {
        if (!(error instanceof ConfigError)) throw new Error(`config #${i} threw ${String(error)} instead of ConfigError: ${text.slice(0, 300)}`);
        expect(error.message).toMatch(CJK);
      }
    }
    expect(accepted).toBeGreaterThan(0);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('serve on a hostile config exits 2 with the Chinese error and never listens', { timeout: 30_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ca-assistant-cfg-'));
    const file = join(dir, 'config.json');
    const port = 40_000 + (process.pid % 20_000);
    await writeFile(file, JSON.stringify({ port, trustedOrigins: ['https://*.gov.cn'], dataDir: dir }));
    const child = spawn(process.execPath, ['bin/ca-assistant.mjs', 'serve', '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toMatch(/trustedOrigins/);
    expect(stderr).toMatch(CJK);
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => { socket.destroy(); resolve(false); });
      socket.once('error', () => resolve(true));
    });
    expect(refused).toBe(true);
  });
});
