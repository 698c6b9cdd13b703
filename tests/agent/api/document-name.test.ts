/**
 * Issue 15, item 10: `document.name` is the site's claim shown in the PIN
 * dialog. Invisible characters (line separators, fillers, soft hyphens, word
 * joiners, Arabic letter mark, tag characters) used to pass: 50–60 Hangul
 * fillers pushed a fake “网站：https://…” line into the dialog and a raw U+2028
 * landed in audit.jsonl. Now an allow-list decides, and logs escape the rest.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuditLog } from '../../../src-agent/service/signing/audit-log.js';
import { AssistantError } from '../../../src-agent/protocol/errors.js';
import { errorReply } from '../../../src-agent/protocol/jsonrpc.js';
import { parseParams } from '../../../src-agent/protocol/methods.js';

const SIGN = { certId: 'tk-1.0123456789abcdef', hash: Buffer.alloc(32, 1).toString('base64'), hashAlgorithm: 'sha256', format: 'cms' };
const withName = (name: string): unknown => ({ ...SIGN, document: { name } });

function refusal(name: string): AssistantError {
  try {
    parseParams('sign.hash', withName(name));
  } catch (error) {
    if (error instanceof AssistantError) return error;
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(name)}`);
}

const HOSTILE: [string, string][] = [
  ['U+2028 line separator', '合同\u2028网站：https://evil.example'],
  ['U+2029 paragraph separator', '合同\u2029.pdf'],
  ['U+3164 Hangul filler ×60', '合同.pdf' + '\u3164'.repeat(60) + '网站：https://mall.example.gov.cn'],
  ['U+FFA0 halfwidth Hangul filler', '合同\uffa0.pdf'],
  ['U+115F Hangul choseong filler', '合同\u115f.pdf'],
  ['U+00AD soft hyphen', 'con\u00adtract.pdf'],
  ['U+2060 word joiner', '合同\u2060.pdf'],
  ['U+061C Arabic letter mark', '合同\u061c.pdf'],
  ['U+180E Mongolian vowel separator', '合同\u180e.pdf'],
  ['tag characters U+E0041', '合同\u{e0041}\u{e0042}.pdf'],
  ['U+2800 braille blank', '合同\u2800.pdf'],
  ['a run of spaces', '合同.pdf' + ' '.repeat(60) + '网站：https://x.example'],
  ['combining marks', 'Z\u0351\u0352\u0353\u0354'],
  ['emoji', '合同😀.pdf'],
];

describe('document.name allow-list', () => {
  it.each(HOSTILE)('refuses %s with BAD_REQUEST and a Chinese detail', (_label, name) => {
    const e = refusal(name);
    expect(e.reason).toBe('BAD_REQUEST');
    const reply = errorReply(1, e, 'zh-CN');
    expect(reply.error.data.detailZh).toMatch(/文档名称/);
    expect(reply.error.data.issues).toEqual([expect.objectContaining({ path: 'document.name' })]);
  });

  it.each([
    '采购合同（2026）第3号.pdf',
    'Contract_v2-final [signed].pdf',
    '供应商：某某科技有限公司 — 合同 #12, 附件 A.docx',
    'Ärztekammer Vertrag.pdf',
    '政府采购 合同书 ¥1,200.00 + 50%.pdf',
    '契約書・第１号.pdf',
  ])('accepts %s', (name) => {
    expect(() => parseParams('sign.hash', withName(name))).not.toThrow();
  });
});

describe('logs escape invisible characters', () => {
  it('writes no raw U+2028, filler or tag character into audit.jsonl, and reads back the same name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'audit-esc-'));
    const log = new AuditLog(dir);
    const documentName = 'a\u2028b\u3164c\u00add\u{e0041}e\u202ef';
    log.append({ time: new Date(0).toISOString(), origin: null, method: 'sign.hash', certId: 'c', certFingerprintSha256: null, hashAlgorithm: 'sha256', hash: '00', format: 'cms', documentName, result: 'ok' });
    log.close();
    const text = readFileSync(join(dir, 'audit', 'audit.jsonl'), 'utf8');
    expect(text).not.toMatch(/[\u2028\u3164\u00ad\u202e]|\u{e0041}/u);
    expect(text.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(text).documentName).toBe(documentName);
  });
});
