import { describe, expect, it } from 'vitest';
import { AssistantError } from '../../../src-agent/protocol/errors.js';
import { INVALID_REQUEST, PARSE_ERROR, errorReply, notification, parseFrame, resultReply } from '../../../src-agent/protocol/jsonrpc.js';
import { REASONS } from '../../../src-agent/protocol/reasons.js';
import { MAX_FRAME_BYTES } from '../../../src-agent/limits.js';

function rejected(text: string) {
  const parsed = parseFrame(text);
  if (parsed.ok) throw new Error(`expected ${text} to be rejected`);
  return parsed.errorReply;
}

describe('parseFrame', () => {
  it('accepts a request with a number or string id', () => {
    expect(parseFrame('{"jsonrpc":"2.0","id":1,"method":"tokens.list","params":{}}')).toEqual({
      ok: true,
      request: { id: 1, method: 'tokens.list', params: {} },
    });
    expect(parseFrame('{"jsonrpc":"2.0","id":"a-1","method":"tokens.list"}')).toEqual({
      ok: true,
      request: { id: 'a-1', method: 'tokens.list' },
    });
  });

  it('accepts a notification (no id) and keeps id 0', () => {
    const parsed = parseFrame('{"jsonrpc":"2.0","method":"x.y"}');
    expect(parsed).toEqual({ ok: true, request: { method: 'x.y' } });
    expect(parsed.ok && 'id' in parsed.request).toBe(false);
    expect(parseFrame('{"jsonrpc":"2.0","id":0,"method":"a"}')).toEqual({ ok: true, request: { id: 0, method: 'a' } });
  });

  it('answers non-JSON with -32700 and id null', () => {
    for (const text of ['', '{', 'hello', '{"jsonrpc":"2.0",}']) {
      const reply = rejected(text);
      expect(reply.id).toBeNull();
      expect(reply.error.code).toBe(PARSE_ERROR);
      expect(reply.error.data.reason).toBe('BAD_REQUEST');
      expect(reply.error.message).toBe(REASONS.BAD_REQUEST.zh);
    }
  });

  it('refuses batches with a clear error', () => {
    const reply = rejected('[{"jsonrpc":"2.0","id":1,"method":"tokens.list"}]');
    expect(reply.error.code).toBe(INVALID_REQUEST);
    expect(reply.error.data.reason).toBe('BAD_REQUEST');
    expect(reply.id).toBeNull();
  });

  it.each(['null', '1', '"x"', 'true'])('refuses the non-object frame %s', (text) => {
    expect(rejected(text).error.code).toBe(INVALID_REQUEST);
  });

  it.each([
    ['object', '{}'],
    ['array', '[1]'],
    ['float', '1.5'],
    ['huge', '1e400'],
    ['unsafe integer', '9007199254740993'],
    ['null', 'null'],
    ['boolean', 'true'],
    ['long string', JSON.stringify('x'.repeat(129))],
  ])('refuses an id that is a %s', (_name, id) => {
    const reply = rejected(`{"jsonrpc":"2.0","id":${id},"method":"tokens.list"}`);
    expect(reply.error.code).toBe(INVALID_REQUEST);
    expect(reply.id).toBeNull();
  });

  it('refuses a missing or wrong jsonrpc member, echoing a valid id', () => {
    for (const version of [undefined, '1.0', 2, '2']) {
      const frame = { ...(version === undefined ? {} : { jsonrpc: version }), id: 7, method: 'tokens.list' };
      const reply = rejected(JSON.stringify(frame));
      expect(reply.error.code).toBe(INVALID_REQUEST);
      expect(reply.id).toBe(7);
    }
  });

  it('refuses bad methods', () => {
    for (const method of [undefined, '', 3, 'm'.repeat(65), null]) {
      expect(rejected(JSON.stringify({ jsonrpc: '2.0', id: 1, method })).error.code).toBe(INVALID_REQUEST);
    }
    expect(parseFrame(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'm'.repeat(64) })).ok).toBe(true);
  });

  it('refuses params that are not an object', () => {
    for (const params of [[], 'x', 1, null]) {
      expect(rejected(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'a', params })).error.code).toBe(INVALID_REQUEST);
    }
  });

  it('refuses unknown frame members', () => {
    expect(rejected('{"jsonrpc":"2.0","id":1,"method":"a","pin":"123456"}').error.code).toBe(INVALID_REQUEST);
  });

  it('refuses a frame over the size limit before parsing it', () => {
    const text = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'a', params: { x: 'y'.repeat(MAX_FRAME_BYTES) } });
    expect(rejected(text).error.code).toBe(INVALID_REQUEST);
  });
});

describe('errorReply', () => {
  it('uses the reasons table, never the error message', () => {
    const reply = errorReply(3, new AssistantError('INTERNAL', 'ENOENT /secret/path'));
    expect(reply).toEqual({
      jsonrpc: '2.0',
      id: 3,
      error: {
        code: REASONS.INTERNAL.code,
        message: REASONS.INTERNAL.zh,
        data: { reason: 'INTERNAL', remedy: REASONS.INTERNAL.remedyZh, messageEn: REASONS.INTERNAL.en, remedyEn: REASONS.INTERNAL.remedyEn },
      },
    });
    expect(JSON.stringify(reply)).not.toContain('secret');
  });

  it('sends no detail line with INTERNAL (it may name a local file), but keeps it for other reasons', () => {
    const internal = errorReply(1, new AssistantError('INTERNAL', 'seal image file unreadable: /home/clerk/seal.png', { detailZh: '印章图片文件无法读取：/home/clerk/seal.png' }));
    expect(internal.error.data).not.toHaveProperty('detailZh');
    expect(JSON.stringify(internal)).not.toContain('/home/clerk');
    const audit = errorReply(1, new AssistantError('AUDIT_FAILED', 'x', { detailZh: '数据目录所在磁盘已满，签章记录无法写入', errno: 'ENOSPC' }));
    expect(audit.error.data).toMatchObject({ reason: 'AUDIT_FAILED', detailZh: '数据目录所在磁盘已满，签章记录无法写入' });
    expect(audit.error.data).not.toHaveProperty('errno');
  });

  it('carries retriesLeft and ckr, and drops other details', () => {
    const pin = errorReply(1, new AssistantError('PIN_INCORRECT', 'x', { retriesLeft: 2, stack: 'at foo', path: '/x' }));
    expect(pin.error.data).toMatchObject({ reason: 'PIN_INCORRECT', retriesLeft: 2 });
    expect(pin.error.data).not.toHaveProperty('stack');
    expect(pin.error.data).not.toHaveProperty('path');
    const mod = errorReply(1, new AssistantError('MODULE_FAILED', 'x', { ckr: 'CKR_DEVICE_ERROR' }));
    expect(mod.error.data.ckr).toBe('CKR_DEVICE_ERROR');
    expect(errorReply(1, new AssistantError('MODULE_FAILED', 'x', { ckr: 'SAR_INDATALENERR' })).error.data.ckr).toBe('SAR_INDATALENERR');
    expect(errorReply(1, new AssistantError('MODULE_FAILED', 'x', { ckr: 'SARX_1' })).error.data).not.toHaveProperty('ckr');
    expect(errorReply(1, new AssistantError('MODULE_FAILED', 'x', { ckr: 'rm -rf /' })).error.data).not.toHaveProperty('ckr');
  });

  it('speaks English when asked, keeping English in data', () => {
    const reply = errorReply('x', new AssistantError('NO_TOKEN'), 'en');
    expect(reply.error.message).toBe(REASONS.NO_TOKEN.en);
    expect(reply.error.data.remedy).toBe(REASONS.NO_TOKEN.remedyEn);
  });

  it('uses METHOD_NOT_FOUND code -32601 and null for an absent id', () => {
    const reply = errorReply(undefined, new AssistantError('METHOD_NOT_FOUND'));
    expect(reply.id).toBeNull();
    expect(reply.error.code).toBe(-32601);
    expect(reply.error.data.reason).toBe('METHOD_NOT_FOUND');
  });
});

describe('resultReply and notification', () => {
  it('build JSON-RPC 2.0 frames', () => {
    expect(resultReply(5, { tokens: [] })).toEqual({ jsonrpc: '2.0', id: 5, result: { tokens: [] } });
    expect(notification('check.progress', { id: 'a', index: 0, total: 1 })).toEqual({
      jsonrpc: '2.0',
      method: 'check.progress',
      params: { id: 'a', index: 0, total: 1 },
    });
  });
});
