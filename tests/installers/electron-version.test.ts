/**
 * A supported Electron: the app is built on Electron 45 (a major upstream
 * supports) with its own typings, and electron-builder's rebuild step knows
 * that Electron's ABI, so usb-detection (NAN, no prebuilt binary for
 * Electron) is compiled against it as electron-builder.yml asks.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..', '..');
const require = createRequire(join(ROOT, 'package.json'));
const yaml = require('js-yaml') as { load(text: string): unknown };
const json = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- package manifests

describe('Electron', () => {
  const pkg = json(join(ROOT, 'package.json'));
  const installed = json(require.resolve('electron/package.json')).version as string;

  it('is major 45 with its typings, a dev dependency whose binary download npm does not run', () => {
    expect(pkg.devDependencies.electron).toMatch(/^\^45\./);
    expect(Number(installed.split('.')[0])).toBe(45);
    expect(readFileSync(require.resolve('electron/electron.d.ts'), 'utf8')).toContain('declare namespace Electron');
    expect(pkg.allowScripts.electron).toBe(false);
    expect(pkg.dependencies.electron).toBeUndefined();
  });

  it('is known to electron-builder\'s rebuild, which compiles usb-detection from source for it', () => {
    const rebuild = require.resolve('@electron/rebuild', { paths: [require.resolve('app-builder-lib')] });
    const { getAbi } = createRequire(rebuild)('node-abi') as { getAbi(target: string, runtime: string): string };
    expect(Number(getAbi(installed, 'electron'))).toBeGreaterThanOrEqual(150);
    const config = yaml.load(readFileSync(join(ROOT, 'electron-builder.yml'), 'utf8')) as Record<string, unknown>;
    expect(config).toMatchObject({ npmRebuild: true, buildDependenciesFromSource: true });
    expect(pkg.dependencies['usb-detection']).toBeDefined();
  });
});
