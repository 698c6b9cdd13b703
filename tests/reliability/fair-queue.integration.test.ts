/**
 * Issue 15, item 8: one page's queued signatures starved other origins on the
 * same key: 16 pending sign.hash per connection, each behind a 120 s PIN
 * dialog, and another origin's dialog never appeared. Now origins take turns
 * on a token, and an origin's queue on a token is bounded across connections.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_QUEUED_SIGNATURES_PER_ORIGIN } from '../../src-agent/limits.js';
import type { PinAnswer, PinRequest } from '../../src-agent/ui/port.js';
import { useFixtures } from '../helpers/fixtures.js';
import { certIdOf, fixtureToken, startAgent, TRUSTED_ORIGINS, type Agent } from './agent.js';
import { reasonOf, RpcClient } from './rpc-client.js';

const fx = await useFixtures();
let agent: Agent;
let certId: string;
beforeAll(async () => {
  agent = await startAgent(fx, { pollIntervalMs: 0 });
  certId = await certIdOf(agent, fixtureToken(fx, 'supplier'), 'EC');
});
afterAll(async () => agent?.stop());

const [HOG, OTHER] = [TRUSTED_ORIGINS[0]!, TRUSTED_ORIGINS[1]!];
const sign = (client: RpcClient, i: number) => client.call('sign.hash', { certId, hash: createHash('sha256').update(String(i)).digest('base64'), hashAlgorithm: 'sha256', format: 'cms' }, 60_000);

describe('fair queueing on one token', () => {
  it("another origin's PIN dialog comes next, not after the hog's queue; the hog's queue is bounded across connections", { timeout: 60_000 }, async () => {
    const shown: PinRequest[] = [];
    const pending: ((a: PinAnswer) => void)[] = [];
    const hold = (request: PinRequest): Promise<PinAnswer> => {
      shown.push(request);
      return new Promise((resolve) => pending.push(resolve));
    };
    agent.ui.answerPins(...Array.from({ length: 100 }, () => hold));
    const hogs = await Promise.all([RpcClient.open(agent.port, HOG), RpcClient.open(agent.port, HOG)]);
    const hogCalls = hogs.flatMap((c, k) => Array.from({ length: 16 }, (_, i) => sign(c, k * 100 + i)));
    await expect.poll(() => shown.length, { timeout: 10_000 }).toBe(1);
    const other = await RpcClient.open(agent.port, OTHER);
    const otherCall = sign(other, 999);
    await new Promise((r) => setTimeout(r, 300));
    // The user cancels the hog's dialog: the next dialog is the other origin's.
    pending.shift()!({ kind: 'cancel' });
    await expect.poll(() => shown.length, { timeout: 10_000 }).toBe(2);
    console.log(`[fair-queue] 32 queued by ${HOG} on 2 connections, 1 by ${OTHER}: second dialog is for ${shown[1]!.origin}`);
    expect(shown[1]!.origin).toBe(OTHER);
    pending.shift()!({ kind: 'pin', pin: Buffer.from(fixtureToken(fx, 'supplier').userPin) });
    expect((await otherCall).result?.signature).toBeDefined();
    // Let the rest go: cancel whatever the hog still has in dialogs.
    const drain = setInterval(() => pending.splice(0).forEach((p) => p({ kind: 'cancel' })), 20);
    const reasons = (await Promise.all(hogCalls)).map(reasonOf);
    clearInterval(drain);
    agent.ui.clearAnswers();
    const busy = reasons.filter((r) => r === 'BUSY').length;
    console.log(`[fair-queue] hog: ${busy} of 32 refused BUSY (bound ${MAX_QUEUED_SIGNATURES_PER_ORIGIN} per origin per token)`);
    expect(busy).toBe(32 - MAX_QUEUED_SIGNATURES_PER_ORIGIN);
    [...hogs, other].forEach((c) => c.close());
  });
});
