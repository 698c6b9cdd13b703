/**
 * request.progress: while a request waits for the user in the assistant
 * window, the connection that sent it is told (with the request's id) and no
 * other connection is. Real server, real WebSocket, SoftHSM keys.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useFixtures } from '../../helpers/fixtures.js';
import { Client, MALL, OTHER, makeConfig, startHarness, type Harness } from './harness.js';

const fx = await useFixtures();
const HASH = createHash('sha256').update('合同').digest('base64');
const UNTRUSTED = 'https://unlisted.example.cn';
const progress = (c: Client) => c.events.filter((e) => e.method === 'request.progress').map((e) => e.params);

describe('request.progress', () => {
  let h: Harness;
  let mall: Client;
  let other: Client;
  beforeAll(async () => {
    h = await startHarness(fx, await makeConfig(fx, { trustedOrigins: [MALL, OTHER] }));
    mall = await Client.open(h.server.port, MALL);
    other = await Client.open(h.server.port, OTHER);
  });
  afterAll(async () => {
    mall?.close();
    other?.close();
    await h?.stop();
  });

  it('tells the asking connection, before the reply, that its sign.hash waits for the PIN', async () => {
    const tokens = (await mall.call('tokens.list', {})).result?.tokens as { id: string; label: string }[];
    const tokenId = tokens.find((t) => t.label === '供应商')!.id;
    const certs = (await mall.call('certs.list', { tokenId })).result?.certs as { id: string }[];
    expect(progress(mall)).toEqual([]); // no dialog, no progress
    h.ui.answerPins(fx.tokens.find((t) => t.key === 'supplier')!.userPin);
    const reply = await mall.call('sign.hash', { certId: certs[0]!.id, hash: HASH, hashAlgorithm: 'sha256', format: 'cms' });
    expect(reply.result?.format).toBe('cms');
    expect(progress(mall)).toEqual([{ id: reply.id, state: 'waiting-pin' }]);
    expect(progress(other)).toEqual([]);
  });

  it('tells an untrusted site that its request waits for consent; a denied one gets USER_DENIED after', async () => {
    const stranger = await Client.open(h.server.port, UNTRUSTED);
    try {
      h.ui.answerConsents('deny');
      const reply = await stranger.call('tokens.list', {});
      expect(reply.error?.data.reason).toBe('USER_DENIED');
      expect(progress(stranger)).toEqual([{ id: reply.id, state: 'waiting-consent' }]);
      expect(progress(mall).length).toBe(1);
    } finally {
      stranger.close();
    }
  });
});
