/**
 * `npm run demo`: the assistant on the SoftHSM demo tokens (created on first
 * run under .fixtures/demo), with real USB keys' drivers still discovered.
 * Prints where to open things and the demo PINs. Ctrl-C stops everything.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fixtureEnv, makeFixtures, readManifest } from '../tests/fixtures/make-fixtures.js';
import builtIn from '../src-agent/tokens/vendors.json' with { type: 'json' };
import { startMall } from '../examples/mall/server.js';

const root = resolve(import.meta.dirname, '..');
const dir = join(root, '.fixtures', 'demo');
const port = Number(process.env.CA_ASSISTANT_PORT ?? 21518);
const mallPort = Number(process.env.MALL_PORT ?? 8080);

async function main(): Promise<void> {
  const manifest = existsSync(join(dir, 'fixtures.json')) ? await readManifest(dir) : await makeFixtures(dir);
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir, { recursive: true });
  // The demo tokens are served through pin-guard; SoftHSM itself must not be discovered a second time.
  const softhsm = builtIn.vendors.find((v) => v.id === 'softhsm');
  writeFileSync(join(dir, 'vendors.demo.json'), JSON.stringify({ vendors: [{ ...softhsm, discover: false }] }, null, 2));
  const config = {
    port,
    trustedOrigins: [`http://127.0.0.1:${mallPort}`, `http://localhost:${mallPort}`],
    modules: [manifest.pinGuardModule],
    vendorTable: join(dir, 'vendors.demo.json'),
    trustAnchors: [manifest.rootCa],
    intermediates: [manifest.intermediateCa],
    dataDir,
  };
  const configFile = join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify(config, null, 2));

  const env = { ...process.env, ...fixtureEnv(manifest) };
  writeFileSync(join(dir, 'env'), Object.entries(fixtureEnv(manifest)).map(([k, v]) => `export ${k}=${v}\n`).join(''));
  const children: ChildProcess[] = [];
  const agent = spawn(process.execPath, [join(root, 'bin', 'ca-assistant.mjs'), 'serve', '--config', configFile], { env, stdio: 'inherit' });
  children.push(agent);
  const mall = await startMall({
    port: mallPort, dataDir: join(dir, 'mall'), assistantUrl: `ws://127.0.0.1:${port}/`,
    trustAnchors: [manifest.rootCa], intermediates: [manifest.intermediateCa],
  });

  console.log('\n互认助手演示 / CA assistant demo');
  console.log(`  本地接口 API:      ws://127.0.0.1:${port}/`);
  console.log(`  参考商城 mall:      ${mall.url}/   （切换用户：供应商 张三 / 王五，采购人 李四）`);
  console.log(`  监管系统 receiver: ${mall.receiverUrl}/filings`);
  console.log(`  配置 config:       ${configFile}`);
  console.log('  演示 CA 锁（SoftHSM）及 PIN / demo tokens and PINs:');
  for (const t of manifest.tokens) console.log(`    ${t.label.padEnd(6, '　')} PIN ${t.userPin}`);
  console.log('  按 Ctrl-C 退出 / Ctrl-C to stop\n');

  const stop = (): void => {
    for (const child of children) child.kill('SIGTERM');
    void mall.close();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  agent.on('exit', (code) => {
    stop();
    process.exitCode = code ?? 0;
  });
}

await main();
