/**
 * `ca-assistant serve` forks one token host before it loads the rest of the
 * agent (tokens/host-process.ts). The real command, spawned: its token host is
 * that pre-forked process (argv `--wait-for-module`, module sent over IPC) and
 * serves the tokens; with no module to load, the spare is ended, not left behind;
 * a first message that names no module makes it exit 2 without loading anything.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WAIT_FOR_MODULE_ARG } from '../../../src-agent/tokens/host-protocol.js';
import { spawnHost } from '../../../src-agent/tokens/host-process.js';
import { fixtureEnv, useFixtures } from '../../helpers/fixtures.js';
import { agentConfigJson, TRUSTED_ORIGINS } from '../../reliability/agent.js';
import { RpcClient } from '../../reliability/rpc-client.js';

const fx = await useFixtures();
const running: { child: ChildProcess; dir: string }[] = [];

afterEach(async () => {
  for (const { child, dir } of running.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    await rm(dir, { recursive: true, force: true });
  }
});

/** Spawns serve on a config; resolves with the child and its API port once it listens. */
async function serve(config: (dir: string) => Record<string, unknown>): Promise<{ child: ChildProcess; port: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'ca-assistant-prefork-'));
  const file = join(dir, 'config.json');
  await writeFile(file, JSON.stringify(config(dir)));
  const child = spawn(process.execPath, ['bin/ca-assistant.mjs', 'serve', '--config', file, '--port', '0', '--no-open'], {
    env: { ...process.env, ...fixtureEnv(fx) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push({ child, dir });
  let out = '';
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const found = /ws:\/\/127\.0\.0\.1:(\d+)\//.exec(out)?.[1];
      if (found) resolve(Number(found));
    });
    child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${out}`)));
  });
  return { child, port };
}

/** The argv of each live child process of `pid`, from /proc. */
async function childArgv(pid: number): Promise<string[][]> {
  const out: string[][] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid …: comm may hold spaces, so read after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) !== pid || fields[0] === 'Z') continue;
      out.push((await readFile(`/proc/${entry}/cmdline`, 'utf8')).split('\0').filter(Boolean));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

const isHost = (argv: string[]): boolean => argv.some((a) => /host-main\.(js|ts)$/.test(a));

describe('the token host forked ahead of need', () => {
  it('is the host that serves the tokens: started with --wait-for-module, given its module over IPC', { timeout: 30_000 }, async () => {
    const { child, port } = await serve((dir) => agentConfigJson(fx, dir));
    const hosts = (await childArgv(child.pid!)).filter(isHost);
    expect(hosts).toHaveLength(1);
    expect(hosts[0]).toContain(WAIT_FOR_MODULE_ARG);
    expect(hosts[0]).not.toContain(fx.pinGuardModule);
    const client = await RpcClient.open(port, TRUSTED_ORIGINS[0]!);
    try {
      const reply = await client.call('tokens.list', {});
      expect((reply.result?.tokens as { label: string }[]).map((t) => t.label).sort()).toEqual(fx.tokens.map((t) => t.label).sort());
    } finally {
      client.close();
    }
  });

  it('is ended when no module needs it', { timeout: 30_000 }, async () => {
    const { child } = await serve((dir) => ({ ...agentConfigJson(fx, dir), modules: [] }));
    await expect.poll(async () => (await childArgv(child.pid!)).filter(isHost).length, { timeout: 5_000 }).toBe(0);
  });

  it('exits 2 with a message, loading nothing, when its first message names no module', { timeout: 30_000 }, async () => {
    for (const message of [{ open: 5 }, { open: { modulePath: 42 } }, { hello: true }, 'open']) {
      const child = spawnHost([WAIT_FOR_MODULE_ARG], { ...process.env, ...fixtureEnv(fx) });
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      const replies: unknown[] = [];
      child.on('message', (m) => replies.push(m));
      child.send(message);
      expect(await exited).toBe(2);
      expect(stderr).toContain('must be started by the agent with a module path');
      expect(replies).toEqual([]);
    }
  });
});
