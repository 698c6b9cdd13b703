import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { command } from '../../../src-agent/cli/commands/serve.js';
import type { CommandContext } from '../../../src-agent/cli/command.js';
import { startCore, type AgentCore } from '../../../src-agent/service/agent-core.js';
import { fixtureEnv, useFixtures } from '../../helpers/fixtures.js';
import { Client, MALL, makeConfig } from './harness.js';

const fx = await useFixtures();

describe('serve command', () => {
  it('listens, prints the API and assistant-window URLs, holds a signature for the PIN dialog, and shuts down on SIGTERM with exit 0', async () => {
    const config = await makeConfig(fx);
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    stdout.on('data', (d: Buffer) => (out += d.toString()));
    let core: AgentCore | undefined;
    const ctx: CommandContext = {
      options: { port: '0', 'no-open': true },
      args: [],
      config,
      json: false,
      core: async () => (core ??= await startCore(config, { hostEnv: fixtureEnv(fx), pollIntervalMs: 0 })),
      stdout,
      stderr,
      stdin: new PassThrough(),
    };
    const exit = command.run(ctx);
    await expect.poll(() => /ui\/[A-Za-z0-9_-]{20,}/.exec(out)?.[0], { timeout: 15_000 }).toBeDefined();
    expect(out).toContain('互认助手已启动');
    expect(out).toMatch(/助手界面.*http:\/\/127\.0\.0\.1:\d+\/ui\//);
    const port = Number(/ws:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
    const client = await Client.open(port, MALL);
    const certs = (await client.call('certs.list', {})).result?.certs as { id: string; fingerprintSha256: string }[];
    const supplierCert = fx.tokens.find((t) => t.key === 'supplier')?.certs[0]?.fingerprintSha256;
    // Nobody answers the PIN dialog in the assistant window: the request stays pending…
    let settled = false;
    const pending = client
      .call('sign.hash', { certId: certs.find((c) => c.fingerprintSha256 === supplierCert)?.id, hash: Buffer.alloc(32).toString('base64'), hashAlgorithm: 'sha256', format: 'cms' })
      .finally(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(settled).toBe(false);
    // …until the assistant shuts down, which closes the connection as going away.
    process.emit('SIGTERM');
    expect(await exit).toBe(0);
    expect((await client.closed).code).toBe(1001);
    await pending.catch(() => undefined);
  });

  it('honours a SIGTERM that arrives while it is still starting', async () => {
    const config = await makeConfig(fx);
    let out = '';
    const stdout = new PassThrough();
    stdout.on('data', (d: Buffer) => (out += d.toString()));
    const ctx: CommandContext = {
      options: { port: '0', 'no-open': true },
      args: [],
      config,
      json: false,
      core: () => startCore(config, { hostEnv: fixtureEnv(fx), pollIntervalMs: 0 }),
      stdout,
      stderr: new PassThrough(),
      stdin: new PassThrough(),
    };
    const exit = command.run(ctx);
    process.emit('SIGTERM'); // before the token layer, the API or the window exist
    expect(await exit).toBe(0);
    expect(out).toContain('正在关闭互认助手');
  });

  it('refuses --scripted-ui-pins outside the test flag', async () => {
    const saved = process.env.CA_ASSISTANT_TEST;
    delete process.env.CA_ASSISTANT_TEST;
    try {
      const ctx = { options: { 'scripted-ui-pins': '12345678' }, config: await makeConfig(fx) } as unknown as CommandContext;
      await expect(command.run(ctx)).rejects.toThrow('CA_ASSISTANT_TEST');
    } finally {
      if (saved !== undefined) process.env.CA_ASSISTANT_TEST = saved;
    }
  });
});
