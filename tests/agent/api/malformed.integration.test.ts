import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_FRAME_BYTES, MAX_PENDING_PER_CONNECTION, MAX_UNTRUSTED_CONNECTIONS_PER_ORIGIN } from '../../../src-agent/limits.js';
import { useFixtures } from '../../helpers/fixtures.js';
import { Client, MALL, makeConfig, reasonOf, startHarness, type Harness } from './harness.js';

const fx = await useFixtures();

describe('malformed input', () => {
  let h: Harness;
  let client: Client;
  beforeAll(async () => {
    h = await startHarness(fx, await makeConfig(fx));
    client = await Client.open(h.server.port, MALL);
  });
  afterAll(async () => {
    client?.close();
    await h?.stop();
  });

  const stillServes = async (): Promise<void> => {
    const other = await Client.open(h.server.port, MALL);
    expect((await other.call('system.hello', {})).result).toBeDefined();
    other.close();
  };

  it.each([
    ['non-JSON', 'not json {', -32700],
    ['a batch', JSON.stringify([{ jsonrpc: '2.0', id: 1, method: 'system.hello' }]), -32600],
    ['a JSON string', '"hello"', -32600],
    ['a wrong jsonrpc version', JSON.stringify({ jsonrpc: '1.0', id: null, method: 'system.hello' }), -32600],
    ['an object id', JSON.stringify({ jsonrpc: '2.0', id: { a: 1 }, method: 'system.hello' }), -32600],
    ['a fractional id', JSON.stringify({ jsonrpc: '2.0', id: 1.5, method: 'system.hello' }), -32600],
    ['a null id', JSON.stringify({ jsonrpc: '2.0', id: null, method: 'system.hello' }), -32600],
    ['no id', JSON.stringify({ jsonrpc: '2.0', method: 'system.hello' }), -32600],
    ['unknown frame members', JSON.stringify({ jsonrpc: '2.0', id: null, method: 'system.hello', extra: 1 }), -32600],
    ['array params', JSON.stringify({ jsonrpc: '2.0', id: null, method: 'system.hello', params: [] }), -32600],
  ])('%s gets a JSON-RPC error with id null', async (_name, frame, code) => {
    const reply = await client.raw(frame, null);
    expect(reply.error?.code).toBe(code);
    expect(reply.error?.data.reason).toBe('BAD_REQUEST');
  });

  it('answers unknown methods with METHOD_NOT_FOUND and keeps string ids', async () => {
    const reply = await client.raw(JSON.stringify({ jsonrpc: '2.0', id: 'x-1', method: 'keys.export' }), 'x-1');
    expect(reply.error).toMatchObject({ code: -32601, data: { reason: 'METHOD_NOT_FOUND' } });
    expect(reasonOf(await client.call('__proto__', {}))).toBe('METHOD_NOT_FOUND');
  });

  it('rejects wrong types and unknown fields with BAD_REQUEST issues, never echoing values', async () => {
    const wrong = await client.call('sign.hash', { certId: 5, hash: 'AAAA', hashAlgorithm: 'md5', format: 'cms' });
    expect(reasonOf(wrong)).toBe('BAD_REQUEST');
    expect((wrong.error?.data.issues as { path: string }[] | undefined)?.map((i) => i.path)).toEqual(expect.arrayContaining(['certId', 'hashAlgorithm']));
    const extra = await client.call('tokens.list', { pin: '12345678' });
    expect(reasonOf(extra)).toBe('BAD_REQUEST');
    expect(JSON.stringify(extra)).not.toContain('12345678');
    expect(reasonOf(await client.call('sign.hash', { certId: 'a.b', hash: Buffer.alloc(20).toString('base64'), hashAlgorithm: 'sha256', format: 'cms' }))).toBe('BAD_REQUEST');
  });

  it('closes with 1003 on a binary frame, and keeps serving others', async () => {
    const victim = await Client.open(h.server.port, MALL);
    victim.ws.send(Buffer.from([1, 2, 3]));
    expect((await victim.closed).code).toBe(1003);
    await stillServes();
  });

  it('closes with 1009 on a frame over MAX_FRAME_BYTES, and keeps serving others', async () => {
    const victim = await Client.open(h.server.port, MALL);
    victim.ws.send('x'.repeat(MAX_FRAME_BYTES + 1));
    expect((await victim.closed).code).toBe(1009);
    await stillServes();
  });

  it('answers BUSY past the pending limit, for that connection only', async () => {
    const flooder = await Client.open(h.server.port, MALL);
    let release: (() => void) | undefined;
    h.ui.answerPins(() => new Promise((r) => (release = () => r({ kind: 'cancel' }))));
    // The supplier's key, which asks for a PIN: token order follows the module's slots, and the
    // locked or expired fixture keys would refuse at once, without a dialog.
    const tokens = (await flooder.call('tokens.list', {})).result?.tokens as { id: string; label: string }[];
    const supplier = tokens.find((t) => t.label === '供应商')?.id;
    const certs = (await flooder.call('certs.list', { tokenId: supplier })).result?.certs as { id: string; kind: string }[];
    const certId = certs.find((c) => c.kind === 'organization')?.id;
    expect(certId).toBeDefined();
    const hash = Buffer.alloc(32).toString('base64');
    const calls = Array.from({ length: MAX_PENDING_PER_CONNECTION + 4 }, () =>
      flooder.call('sign.hash', { certId, hash, hashAlgorithm: 'sha256', format: 'cms' }),
    );
    await expect.poll(() => release !== undefined, { timeout: 10_000 }).toBe(true);
    await stillServes();
    release?.();
    const reasons = (await Promise.all(calls)).map(reasonOf);
    expect(reasons.filter((r) => r === 'BUSY')).toHaveLength(4);
    expect(reasons.filter((r) => r === 'USER_CANCELLED')).toHaveLength(MAX_PENDING_PER_CONNECTION);
    flooder.close();
  });

  it('answers BUSY when the request rate is exceeded', async () => {
    const flooder = await Client.open(h.server.port, MALL);
    const replies = await Promise.all(Array.from({ length: 150 }, () => flooder.call('system.hello', {})));
    expect(replies.some((r) => reasonOf(r) === 'BUSY')).toBe(true);
    flooder.close();
    await stillServes();
  });

  it('refuses connections past the per-origin limit with 503', async () => {
    const clients = await Promise.all(Array.from({ length: MAX_UNTRUSTED_CONNECTIONS_PER_ORIGIN - 1 }, () => Client.open(h.server.port, 'https://many.example')));
    await expect(Client.open(h.server.port, 'https://many.example')).resolves.toBeDefined();
    await expect(Client.open(h.server.port, 'https://many.example')).rejects.toThrow('HTTP 503');
    clients.forEach((c) => c.close());
  });
});
