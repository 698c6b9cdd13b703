/**
 * The two commands of the README: they are the first lines, `.ci/run` runs
 * the test one, and the Debian package list has one home
 * (scripts/debian-packages.txt) that scripts/setup.sh reads.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '..', '..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

/** The list as setup.sh reads it: comments and blanks dropped. */
const packages = (text: string) => text.split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean);

describe('README and CI', () => {
  const commands = /^# [^\n]+\n\n```sh\n([^`]+)```/.exec(read('README.md'))?.[1]?.trim().split('\n').map((l) => l.replace(/\s+#.*$/, '').trim());

  it('starts with two commands: set up and run the demo, set up and run the suite', () => {
    expect(commands).toEqual(['scripts/setup.sh && npm run demo', 'scripts/setup.sh && npm test']);
  });

  it('.ci/run runs the README\'s test command and nothing installs packages but setup.sh', () => {
    const ci = read('.ci/run').split('\n').filter((l) => l.trim() && !l.startsWith('#'));
    expect(ci.at(-1)).toBe(commands![1]);
    expect(read('.ci/run')).not.toMatch(/apt-get|npm ci/);
  });

  it('keeps one Debian package a line, with the packages the tests use', () => {
    const list = packages(read('scripts/debian-packages.txt'));
    // A foreign-architecture package names its architecture (wine32:i386).
    expect(list.every((p) => /^[a-z0-9][a-z0-9+.-]+(:[a-z0-9]+)?$/.test(p))).toBe(true);
    expect(new Set(list).size).toBe(list.length);
    for (const p of ['softhsm2', 'chromium', 'openssl', 'poppler-utils', 'nsis', 'fonts-noto-cjk']) expect(list).toContain(p);
  });
});

describe('scripts/setup.sh', () => {
  it('installs only the missing packages of the list (comments ignored) and skips npm ci when node_modules matches the lockfile', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ca-setup-'));
    try {
      cpSync(join(ROOT, 'scripts', 'setup.sh'), join(dir, 'scripts', 'setup.sh'));
      cpSync(join(ROOT, 'scripts', 'npm-deps-current.mjs'), join(dir, 'scripts', 'npm-deps-current.mjs'));
      writeFileSync(join(dir, 'scripts', 'debian-packages.txt'), '# test list\nopenssl   # installed here\n\nca-assistant-no-such-package-x1 # missing\n');
      writeFileSync(join(dir, 'package-lock.json'), JSON.stringify({ packages: { '': {}, 'node_modules/a': { version: '1.0.0' } } }));
      const env = { ...process.env, SETUP_DRY_RUN: '1' };
      const first = await run(join(dir, 'scripts', 'setup.sh'), [], { env });
      expect(first.stdout).toContain('installing Debian packages: ca-assistant-no-such-package-x1\n');
      expect(first.stdout).toMatch(/would run: (sudo )?env DEBIAN_FRONTEND=noninteractive apt-get install .* ca-assistant-no-such-package-x1$/m);
      expect(first.stdout).not.toMatch(/install[^\n]*openssl/);
      expect(first.stdout).toContain('would run: npm ci');
      // npm's record of what it installed matches the lockfile: no npm ci.
      cpSync(join(dir, 'package-lock.json'), join(dir, 'node_modules', '.package-lock.json'));
      const second = await run(join(dir, 'scripts', 'setup.sh'), [], { env });
      expect(second.stdout).toContain('npm dependencies up to date');
      // Another version locked: npm ci again. A malformed record counts as not installed.
      writeFileSync(join(dir, 'package-lock.json'), JSON.stringify({ packages: { 'node_modules/a': { version: '2.0.0' } } }));
      expect((await run(join(dir, 'scripts', 'setup.sh'), [], { env })).stdout).toContain('would run: npm ci');
      writeFileSync(join(dir, 'node_modules', '.package-lock.json'), '{not json');
      expect((await run(join(dir, 'scripts', 'setup.sh'), [], { env })).stdout).toContain('would run: npm ci');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
