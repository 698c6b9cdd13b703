/**
 * Load: N clients × M signatures over loopback, mixed with read-only calls.
 * Zero errors, every CMS verifies against the fixture root, and the audit log
 * holds exactly one `ok` record per signature. Suite size: 50 × 20 (about
 * 1,000 signatures); CA_RELIABILITY_FULL=1 runs the 50 × 200.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyCms } from '../../src-agent/pki/index.js';
import { useFixtures } from '../helpers/fixtures.js';
import { certIdOf, fixtureToken, loginAsUser, startAgent, TRUSTED_ORIGINS, type Agent } from './agent.js';
import { RpcClient } from './rpc-client.js';

const FULL = process.env.CA_RELIABILITY_FULL === '1';
const CLIENTS = 50;
const SIGNATURES_PER_CLIENT = FULL ? 200 : 20;
/** A read-only call after every this many signatures. */
const READ_EVERY = 2;

const fx = await useFixtures();
let agent: Agent;
let certIds: string[];

beforeAll(async () => {
  agent = await startAgent(fx);
  const supplier = fixtureToken(fx, 'supplier');
  const purchaser = fixtureToken(fx, 'purchaser');
  await loginAsUser(agent, supplier);
  await loginAsUser(agent, purchaser);
  certIds = [await certIdOf(agent, supplier, 'EC'), await certIdOf(agent, purchaser, 'EC'), await certIdOf(agent, supplier, 'RSA')];
});
afterAll(async () => agent?.stop());

interface Signed {
  hash: Buffer;
  signature: Buffer;
}

async function runClient(index: number, signed: Signed[], errors: string[]): Promise<number> {
  const client = await RpcClient.open(agent.port, TRUSTED_ORIGINS[index % TRUSTED_ORIGINS.length]!);
  let calls = 0;
  try {
    for (let i = 0; i < SIGNATURES_PER_CLIENT; i++) {
      const hash = Buffer.alloc(32);
      hash.writeUInt32BE(index, 0);
      hash.writeUInt32BE(i, 4);
      // RSA is ~10x slower in SoftHSM: one signature in five.
      const certId = certIds[(index + i) % 5 === 0 ? 2 : (index + i) % 2]!;
      const reply = await client.call('sign.hash', { certId, hash: hash.toString('base64'), hashAlgorithm: 'sha256', format: 'cms', document: { name: `合同-${index}-${i}.pdf` } });
      calls++;
      if (reply.error) errors.push(`client ${index} sign ${i}: ${JSON.stringify(reply.error.data)}`);
      else signed.push({ hash, signature: Buffer.from(String(reply.result?.signature), 'base64') });
      if (i % READ_EVERY === 0) {
        const method = ['tokens.list', 'certs.list', 'system.hello'][i % 3]!;
        const read = await client.call(method, {});
        calls++;
        if (read.error) errors.push(`client ${index} ${method}: ${JSON.stringify(read.error.data)}`);
      }
    }
  } finally {
    client.close();
  }
  return calls;
}

describe('load', () => {
  it(`${CLIENTS} clients × ${SIGNATURES_PER_CLIENT} signatures with read-only calls: no error, every CMS verifies, one audit record each`, { timeout: FULL ? 900_000 : 80_000 }, async () => {
    const signed: Signed[] = [];
    const errors: string[] = [];
    const started = Date.now();
    const calls = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => runClient(i, signed, errors)));
    const seconds = (Date.now() - started) / 1000;
    expect(errors).toEqual([]);
    expect(signed).toHaveLength(CLIENTS * SIGNATURES_PER_CLIENT);

    const invalid: typeof signed = [];
    for (const s of signed) {
      const r = await verifyCms({ signature: s.signature, hash: s.hash, hashAlgorithm: 'sha256', trustAnchors: agent.core.trust.anchors, intermediates: [] });
      if (!r.valid || !r.chainTrusted) invalid.push(s);
    }
    expect(invalid.length).toBe(0);

    agent.server.audit.flush();
    const records = (await readFile(join(agent.dataDir, 'audit', 'audit.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { result: string; hash: string });
    expect(records.filter((r) => r.result === 'ok')).toHaveLength(signed.length);
    expect(new Set(records.map((r) => r.hash)).size).toBe(signed.length);
    console.log(`[load] ${CLIENTS}×${SIGNATURES_PER_CLIENT}: ${signed.length} signatures, ${calls.reduce((a, b) => a + b, 0)} requests in ${seconds.toFixed(1)} s (${(signed.length / seconds).toFixed(0)} sig/s), 0 errors, ${records.length} audit records`);
  });
});
