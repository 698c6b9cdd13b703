/**
 * Issue 15, item 12: logs/agent.jsonl grew without bound (one appendFileSync
 * per record, no rotation), was created 0644 (readable by every local user),
 * and redaction looked at top-level keys only, so `{ request: { pin } }` was
 * written as is. Now: 0600, rotation by size, redaction at any depth.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { logger, setLogFile } from '../../src-agent/util/log.js';

const log = logger('log-test');
afterEach(() => setLogFile(undefined));

const fresh = (): string => join(mkdtempSync(join(tmpdir(), 'agent-log-')), 'logs', 'agent.jsonl');

describe('agent.jsonl', () => {
  it.skipIf(process.platform === 'win32')('is created 0600, and an existing 0644 file is made 0600', () => {
    const file = fresh();
    setLogFile(file);
    log.info('hello');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    setLogFile(undefined);
    const old = fresh();
    setLogFile(old);
    log.info('first');
    setLogFile(undefined);
    writeFileSync(old, '', { mode: 0o644 });
    chmodSync(old, 0o644);
    setLogFile(old);
    log.info('again');
    expect(statSync(old).mode & 0o777).toBe(0o600);
  });

  it('redacts secrets at any depth, in arrays too, and survives cycles', () => {
    const file = fresh();
    setLogFile(file);
    const cyclic: Record<string, unknown> = { name: 'c' };
    cyclic.self = cyclic;
    log.warn('nested', {
      request: { params: { userPin: '112233', keep: 'visible' } },
      list: [{ password: 'hunter2' }, { deep: [{ secretKey: 'k1' }] }],
      privateKey: 'pk',
      cyclic,
    });
    const text = readFileSync(file, 'utf8');
    for (const secret of ['112233', 'hunter2', 'k1', '"pk"']) expect(text).not.toContain(secret);
    const record = JSON.parse(text.trim());
    expect(record.request.params).toEqual({ userPin: '[redacted]', keep: 'visible' });
    expect(record.list[1].deep[0].secretKey).toBe('[redacted]');
    expect(record.cyclic.self).toBe('[cycle]');
  });

  it('rotates by size and keeps a bounded number of files', () => {
    const file = fresh();
    setLogFile(file, { rotateBytes: 4096, keepFiles: 2 });
    for (let i = 0; i < 500; i++) log.info('filler record', { i, pad: 'x'.repeat(100) });
    const dir = join(file, '..');
    const files = readdirSync(dir).sort();
    expect(files).toEqual(['agent.jsonl', 'agent.jsonl.1', 'agent.jsonl.2']);
    for (const f of files) expect(statSync(join(dir, f)).size).toBeLessThanOrEqual(4096);
    if (process.platform !== 'win32') for (const f of files) expect(statSync(join(dir, f)).mode & 0o777).toBe(0o600);
    const last = readFileSync(file, 'utf8').trim().split('\n').at(-1) ?? '';
    expect(JSON.parse(last).i).toBe(499);
    expect(existsSync(`${file}.3`)).toBe(false);
  });

  it('escapes invisible characters (one record, one line)', () => {
    const file = fresh();
    setLogFile(file);
    log.info('doc', { name: 'a\u2028b\u3164c' });
    const text = readFileSync(file, 'utf8');
    expect(text).not.toMatch(/[\u2028\u3164]/);
    expect(JSON.parse(text).name).toBe('a\u2028b\u3164c');
  });
});
