import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const require = createRequire(import.meta.url);
const yaml = require('js-yaml') as { load(text: string): unknown };
// electron-builder's own validation (ajv over app-builder-lib/scheme.json), as `electron-builder` runs it.
const { validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as {
  validateConfiguration(config: unknown, debug: { isEnabled: boolean; add(key: string, value: unknown): void }): Promise<void>;
};
const debug = { isEnabled: false, add: () => undefined };

type Config = Record<string, unknown> & {
  nsis: Record<string, unknown>;
  win: { target: { target: string; arch: string[] }[] };
  linux: { target: string[] };
  deb: { fpm: string[]; afterInstall: string; afterRemove: string };
};
const config = yaml.load(readFileSync(`${root}electron-builder.yml`, 'utf8')) as Config;

describe('electron-builder.yml', () => {
  it('validates against electron-builder\'s configuration schema', async () => {
    await expect(validateConfiguration(structuredClone(config), debug)).resolves.toBeUndefined();
  });

  it('is rejected by the same validator when it has an unknown option', async () => {
    await expect(validateConfiguration({ ...structuredClone(config), nsis: { ...config.nsis, oneClik: false } }, debug)).rejects.toThrow(/configuration\.nsis/);
  });

  it('builds a per-machine, elevated, assisted x64 NSIS installer in Chinese', () => {
    expect(config.win.target).toEqual([{ target: 'nsis', arch: ['x64'] }]);
    expect(config.nsis).toMatchObject({ oneClick: false, perMachine: true, installerLanguages: ['zh_CN'], language: '2052', shortcutName: '互认助手', createStartMenuShortcut: true, include: 'installers/installer.nsh' });
    expect(config.nsis.createDesktopShortcut).toBeTruthy();
  });

  it('builds deb and AppImage for Linux with the udev rules and autostart entry', () => {
    expect(config.linux.target).toEqual(['deb', 'AppImage']);
    expect(config.deb.fpm).toContain('installers/linux/60-ca-assistant.rules=/lib/udev/rules.d/60-ca-assistant.rules');
    expect(config.deb.fpm).toContain('installers/linux/ca-assistant-autostart.desktop=/etc/xdg/autostart/ca-assistant.desktop');
  });

  it('rebuilds native dependencies for Electron from source', () => {
    expect(config).toMatchObject({ npmRebuild: true, buildDependenciesFromSource: true });
  });

  it('names only files that exist', () => {
    const files = [config.nsis.include as string, config.deb.afterInstall, config.deb.afterRemove, ...config.deb.fpm.map((f) => f.split('=')[0] as string)];
    for (const file of files) expect(existsSync(`${root}${file}`), file).toBe(true);
  });
});
