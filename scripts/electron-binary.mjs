// Fetches the Electron binary when the network allows it. npm 11 blocks
// electron's own install script (see "allowScripts" in package.json) so that a
// machine without internet still passes `npm ci`; there the desktop shell is
// simply unavailable and `npm start` falls back to the headless UI.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let installer;
try {
  installer = require.resolve('electron/install.js');
} catch {
  process.exit(0); // production install without dev dependencies
}
if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD) process.exit(0);
const result = spawnSync(process.execPath, [installer], { stdio: 'pipe', timeout: 60_000 });
const dist = new URL('../node_modules/electron/dist', import.meta.url);
if (result.status === 0 && existsSync(dist)) {
  console.log('electron: desktop shell binary installed');
} else {
  console.log('electron: binary not available (no download possible); desktop shell disabled, `npm start` uses the headless UI');
}
