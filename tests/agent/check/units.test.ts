import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { escapeHtml, parseNetstat, parseSs, probeService } from '../../../src-agent/check/index.js';
import { validityOutcome } from '../../../src-agent/check/certificates.js';
import { lineReader } from '../../../src-agent/cli/pin-input.js';
import { portOwner } from '../../../src-agent/check/port-owner.js';
import { pinOrder } from '../../../src-agent/check/pin-keypair.js';
import { maskId, maskPersonalIds } from '../../../src-agent/check/privacy.js';
import type { DiagnosticReport } from '../../../src-agent/check/report-data.js';
import { recentCertUses } from '../../../src-agent/service/recent-uses.js';
import type { TokenInfo } from '../../../src-agent/tokens/types.js';
import { mkdtemp, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

describe('parseSs', () => {
  const out = [
    'LISTEN 0 511 127.0.0.1:21518 0.0.0.0:* users:(("other-agent",pid=4242,fd=21))',
    'LISTEN 0 128 0.0.0.0:2024 0.0.0.0:* users:(("sshd",pid=1,fd=3))',
  ].join('\n');
  it('names the process listening on the port', () => {
    expect(parseSs(out, 21518)).toEqual({ name: 'other-agent', pid: 4242 });
  });
  it('returns null when nothing listens there, and {} when ss hides the process', () => {
    expect(parseSs(out, 9999)).toBeNull();
    expect(parseSs('LISTEN 0 5 [::1]:21518 [::]:*', 21518)).toEqual({});
  });
});

describe('parseNetstat', () => {
  it('finds the PID on Windows output', () => {
    expect(parseNetstat('  TCP    127.0.0.1:21518        0.0.0.0:0              LISTENING       5120\r', 21518)).toEqual({ pid: 5120 });
  });
});

describe('probeService', () => {
  it('fails on a port held by something that is not the assistant, and the OS names it where it can', async () => {
    const server = createServer((s) => s.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const probe = await probeService(port, 'https://mall.example.cn', 2000);
      expect(probe.kind).toBe('other');
      const owner = await portOwner(port);
      if (process.platform === 'linux' && owner?.pid) expect(owner.pid).toBe(process.pid);
    } finally {
      server.close();
    }
  });
});

describe('escapeHtml', () => {
  it('escapes markup and quotes', () => {
    expect(escapeHtml('<img src=x onerror="a">&\'')).toBe('&#60;img src=x onerror=&#34;a&#34;&#62;&#38;&#39;');
  });
});

describe('lineReader', () => {
  it('gives one Buffer a line and null at the end', async () => {
    const input = new PassThrough();
    const lines = lineReader(input);
    input.end('1234\r\n5678\nlast');
    expect((await lines.next())?.toString()).toBe('1234');
    expect((await lines.next())?.toString()).toBe('5678');
    expect((await lines.next())?.toString()).toBe('last');
    expect(await lines.next()).toBeNull();
  });
});

describe('validityOutcome', () => {
  const entry = (notBefore: string, notAfter: string) =>
    ({ token: { id: 't.c' }, details: { subject: 'CN=甲', subjectAttributes: [{ name: 'CN', oid: '2.5.4.3', value: '甲' }], kind: 'organization', notBefore, notAfter } }) as unknown as Parameters<typeof validityOutcome>[0];
  const now = new Date('2026-06-01T00:00:00Z');
  it('warns within 30 days of expiry, fails expired and not yet valid', () => {
    expect(validityOutcome(entry('2025-01-01T00:00:00Z', '2026-06-20T00:00:00Z'), now)).toMatchObject({ status: 'warn', detailZh: expect.stringContaining('19 天后过期') });
    expect(validityOutcome(entry('2025-01-01T00:00:00Z', '2027-01-01T00:00:00Z'), now).status).toBe('ok');
    expect(validityOutcome(entry('2024-01-01T00:00:00Z', '2025-01-01T00:00:00Z'), now).status).toBe('fail');
    expect(validityOutcome(entry('2026-07-01T00:00:00Z', '2027-01-01T00:00:00Z'), now)).toMatchObject({ status: 'fail', detailZh: expect.stringContaining('尚未生效') });
  });
});

describe('pinOrder', () => {
  const token = (id: string): TokenInfo => ({ id, label: id, serial: id } as TokenInfo);
  const tokens = ['a', 'b', 'c'].map(token);

  it('asks the keys the mall used last first, then the rest as found, none chosen', () => {
    expect(pinOrder(tokens, { preferredTokens: ['c'] }).map((x) => `${x.token.id}${x.chosen ? '*' : ''}`)).toEqual(['c', 'a', 'b']);
  });

  it('puts the user\'s choice first, in the user\'s order, over the mall\'s', () => {
    expect(pinOrder(tokens, { pinTokens: ['b', 'a'], preferredTokens: ['c'] }).map((x) => `${x.token.id}${x.chosen ? '*' : ''}`)).toEqual(['b*', 'a*', 'c']);
  });

  it('ignores ids of keys that are not present', () => {
    expect(pinOrder(tokens, { pinTokens: ['zzz'] }).map((x) => x.chosen)).toEqual([false, false, false]);
  });
});

describe('recentCertUses', () => {
  it('reads the latest successful use per fingerprint from the audit log tail, skipping torn and foreign lines', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ca-recent-'));
    const file = join(dir, 'audit.jsonl');
    const rec = (fp: string, time: string, result = 'ok', origin: string | null = 'https://mall.example.cn'): string => JSON.stringify({ time, origin, certFingerprintSha256: fp, result });
    const own = JSON.stringify({ time: '2026-01-09T00:00:00Z', origin: null, certFingerprintSha256: 'dd', result: 'ok' });
    const test = JSON.stringify({ time: '2026-01-09T00:00:00Z', origin: 'https://mall.example.cn', certFingerprintSha256: 'ee', result: 'ok', test: true });
    await writeFile(file, ['x'.repeat(300), rec('AA', '2026-01-01T00:00:00Z'), rec('bb', '2026-01-03T00:00:00Z'), rec('aa', '2026-01-02T00:00:00Z'), rec('cc', '2026-01-04T00:00:00Z', 'PIN_INCORRECT'), own, test, '{"torn', 'null', ''].join('\n'));
    // The tail starts inside the 300-byte junk line, which is dropped as a cut line.
    const uses = await recentCertUses(file, (await stat(file)).size - 100);
    expect([...uses]).toEqual([['bb', '2026-01-03T00:00:00Z'], ['aa', '2026-01-02T00:00:00Z']]);
    expect((await recentCertUses(join(dir, 'missing.jsonl'))).size).toBe(0);
  });
});

describe('maskPersonalIds', () => {
  const id = '410102199001011234';
  const report = {
    generatedAt: '', modules: [], recentErrors: [{ time: '', level: 'warn', scope: 'x', msg: `subject serialNumber=${id}` }],
    checks: { startedAt: '', finishedAt: '', version: '', summary: { ok: 0, warn: 0, fail: 0, skipped: 0 }, checks: [{ id: 'a', titleZh: '张三', titleEn: '', status: 'ok', detailZh: `证件 ${id}`, detailEn: '', category: 'certificate', durationMs: 0 }] },
    tokens: [{ certificates: [
      { kind: 'personal', subject: `serialNumber=${id},CN=张三`, subjectFields: [{ label: '证件号码（serialNumber）', value: id }] },
      { kind: 'personal', subject: 'serialNumber=P1234567,CN=Passport', subjectFields: [{ label: '证件号码（serialNumber）', value: 'P1234567' }] },
      { kind: 'organization', subject: 'serialNumber=91410100MA44AB1C23', subjectFields: [{ label: '证件号码（serialNumber）', value: '91410100MA44AB1C23' }] },
    ] }],
  } as unknown as DiagnosticReport;

  it('keeps the last 4 digits of personal ID numbers wherever they appear, of any format on personal certificates', () => {
    const text = JSON.stringify(maskPersonalIds(report));
    expect(text).not.toContain(id);
    expect(text).toContain('**************1234');
    expect(text).not.toContain('P1234567');
    expect(text).toContain('****4567');
    // A public organization code stays.
    expect(text).toContain('91410100MA44AB1C23');
    expect(maskPersonalIds(report).personalIdsMasked).toBe(true);
    expect(maskId('12')).toBe('**');
  });
});
