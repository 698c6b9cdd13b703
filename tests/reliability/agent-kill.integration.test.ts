/**
 * The agent process (`ca-assistant serve`) SIGKILLed while 8 clients sign:
 * after a restart, the audit log holds a record for every signature a client
 * received (records are written before the reply leaves), and the restarted
 * agent signs again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixtureEnv, useFixtures } from '../helpers/fixtures.js';
import { agentConfigJson, fixtureToken, TRUSTED_ORIGINS } from './agent.js';
import { reasonOf, RpcClient } from './rpc-client.js';

const fx = await useFixtures();
const ORIGIN = TRUSTED_ORIGINS[0]!;
const children: ChildProcess[] = [];

afterAll(() => {
  // Token hosts exit when their parent's IPC channel closes; the group kill is a backstop.
  for (const c of children) if (c.pid) try { process.kill(-c.pid, 'SIGKILL'); } catch { /* already gone */ }
});

/** Starts `serve` in its own process group; resolves with its port once it listens. */
async function serve(configFile: string, pin: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['bin/ca-assistant.mjs', 'serve', '--config', configFile, '--port', '0', '--scripted-ui-pins', pin], {
    env: { ...process.env, ...fixtureEnv(fx), CA_ASSISTANT_TEST: '1' },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', () => undefined);
  await expect.poll(() => /ws:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1], { timeout: 30_000, interval: 50 }).toBeDefined();
  return { child, port: Number(/ws:\/\/127\.0\.0\.1:(\d+)/.exec(out)![1]) };
}

describe('agent killed during load', () => {
  it('after SIGKILL and restart, the audit log has every signature a client received', { timeout: 80_000 }, async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'ca-assistant-kill-'));
    const configFile = join(dataDir, 'config.json');
    await writeFile(configFile, JSON.stringify(agentConfigJson(fx, dataDir)));
    const supplier = fixtureToken(fx, 'supplier');
    const fingerprint = supplier.certs.find((c) => c.keyAlgorithm === 'EC')!.fingerprintSha256;

    const first = await serve(configFile, supplier.userPin);
    const probe = await RpcClient.open(first.port, ORIGIN);
    const certs = (await probe.call('certs.list', {})).result!.certs as { id: string; fingerprintSha256: string }[];
    const certId = certs.find((c) => c.fingerprintSha256 === fingerprint)!.id;
    const clients = await Promise.all(Array.from({ length: 7 }, () => RpcClient.open(first.port, ORIGIN)));
    const received: string[] = [];
    let sent = 0;
    let lost = 0;
    const loops = clients.map(async (client, c) => {
      for (let i = 0; ; i++) {
        const hash = Buffer.alloc(32);
        hash.writeUInt32BE(c, 0);
        hash.writeUInt32BE(i, 4);
        sent++;
        try {
          const reply = await client.call('sign.hash', { certId, hash: hash.toString('base64'), hashAlgorithm: 'sha256', format: 'cms' }, 20_000);
          if (reasonOf(reply) === undefined) received.push(hash.toString('hex'));
        } catch {
          lost++; // the agent died with this call in flight: no reply, so nothing to account for
          return;
        }
      }
    });
    await expect.poll(() => received.length, { timeout: 30_000, interval: 20 }).toBeGreaterThan(150);
    process.kill(first.child.pid!, 'SIGKILL');
    await Promise.all(loops);
    probe.close();

    const second = await serve(configFile, supplier.userPin);
    const client = await RpcClient.open(second.port, ORIGIN);
    const after = await client.call('sign.hash', { certId, hash: Buffer.alloc(32, 0xee).toString('base64'), hashAlgorithm: 'sha256', format: 'cms' });
    expect(reasonOf(after)).toBeUndefined();
    client.close();
    process.kill(second.child.pid!, 'SIGTERM');

    const audited = new Set(
      (await readFile(join(dataDir, 'audit', 'audit.jsonl'), 'utf8')).split('\n').filter((l) => l.trim()).map((l) => {
        try {
          return (JSON.parse(l) as { hash: string; result: string }).result === 'ok' ? (JSON.parse(l) as { hash: string }).hash : '';
        } catch {
          return ''; // a torn last line from the kill is allowed; it cannot be a signature the client received
        }
      }),
    );
    const missing = received.filter((h) => !audited.has(h));
    console.log(`[agent-kill] ${sent} sign calls, ${received.length} signatures received before SIGKILL, ${lost} calls cut off, ${missing.length} missing from the audit log`);
    expect(missing).toEqual([]);
  });
});
