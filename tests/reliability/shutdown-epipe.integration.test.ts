/**
 * Issue 15, item 11: when whatever read the agent's stdout has gone (a closed
 * terminal, a service manager's pipe), SIGTERM's "正在关闭……" message raised an
 * uncaught EPIPE and the process never exited: it kept the port, so a restart
 * failed. Shutdown must end the process and free the port whatever stdout does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixtureEnv, useFixtures } from '../helpers/fixtures.js';
import { agentConfigJson } from './agent.js';

const fx = await useFixtures();
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.pid && c.exitCode === null) try { process.kill(-c.pid, 'SIGKILL'); } catch { /* gone */ }
});

const portIsFree = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });

describe('shutdown with a closed stdout', () => {
  it('SIGTERM ends the process and frees the port after the stdout pipe is closed', { timeout: 60_000 }, async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'ca-assistant-epipe-'));
    const configFile = join(dataDir, 'config.json');
    await writeFile(configFile, JSON.stringify(agentConfigJson(fx, dataDir)));
    const child = spawn(process.execPath, ['bin/ca-assistant.mjs', 'serve', '--config', configFile, '--port', '0', '--no-open'], {
      env: { ...process.env, ...fixtureEnv(fx), DISPLAY: '', WAYLAND_DISPLAY: '' },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', () => undefined);
    await expect.poll(() => /助手界面/.test(out), { timeout: 30_000, interval: 50 }).toBe(true);
    const port = Number(/ws:\/\/127\.0\.0\.1:(\d+)/.exec(out)![1]);
    expect(await portIsFree(port)).toBe(false);
    // Past the deferred start (1.5 s): USB monitoring runs, whose worker thread kept the hung process alive.
    await new Promise((r) => setTimeout(r, 2500));
    // The reader goes away: the agent's next write to stdout hits EPIPE.
    child.stdout!.destroy();
    const exited = new Promise<number | string | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
    const started = performance.now();
    child.kill('SIGTERM');
    const result = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 15_000))]);
    const ms = performance.now() - started;
    console.log(`[shutdown-epipe] exit ${String(result)} ${ms.toFixed(0)} ms after SIGTERM with stdout closed`);
    expect(result).toBe(0);
    expect(await portIsFree(port)).toBe(true);
  });
});
