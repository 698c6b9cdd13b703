// `npm start`: the Electron app when its binary is installed, otherwise the
// headless UI (`ca-assistant serve`) after one line saying so.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
const args = process.argv.slice(2);

function electronBinary() {
  if (process.env.CA_ASSISTANT_NO_ELECTRON === '1') return null;
  try {
    const path = require('electron'); // the binary's path, when it was downloaded
    return typeof path === 'string' && existsSync(path) ? path : null;
  } catch {
    return null;
  }
}

function run(command, commandArgs, env = process.env) {
  const child = spawn(command, commandArgs, { stdio: 'inherit', cwd: root, env });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

const electron = electronBinary();
if (electron) {
  const build = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'src-main/tsconfig.json'], { stdio: 'inherit', cwd: root });
  if (build.status !== 0) process.exit(build.status ?? 1);
  const env = { ...process.env };
  delete env.ELECTRON_RUN_AS_NODE;
  run(electron, ['dist/src-main/main.js', ...args], env);
} else {
  console.log('桌面程序不可用（未安装 Electron 运行文件），改用浏览器界面启动 ca-assistant serve。Desktop shell unavailable (Electron binary not installed); starting `ca-assistant serve` with the headless UI.');
  run(process.execPath, [fileURLToPath(new URL('../bin/ca-assistant.mjs', import.meta.url)), 'serve', ...args]);
}
