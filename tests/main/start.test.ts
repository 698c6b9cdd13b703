import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('npm start without the Electron binary', () => {
  it('says so in one line and starts ca-assistant serve', async () => {
    const data = mkdtempSync(join(tmpdir(), 'ca-start-'));
    const child = spawn(process.execPath, ['scripts/start.mjs', '--port', '0'], {
      cwd: root,
      env: { ...process.env, CA_ASSISTANT_NO_ELECTRON: '1', CA_ASSISTANT_DATA_DIR: data },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no listening line: ${out}`)), 25_000);
        child.stdout.on('data', () => {
          if (/listening on ws:\/\/127\.0\.0\.1:\d+/.test(out)) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
      });
      const lines = out.split('\n');
      expect(lines[0]).toMatch(/桌面程序不可用.*Desktop shell unavailable/);
      expect(lines.filter((l) => /Desktop shell unavailable/.test(l))).toHaveLength(1);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      rmSync(data, { recursive: true, force: true });
    }
  }, 40_000);
});
