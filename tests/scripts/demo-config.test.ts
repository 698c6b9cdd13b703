import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mergeDemoConfig, writeDemoConfig } from '../../scripts/demo-config.js';

describe('mergeDemoConfig', () => {
  const wanted = { port: 21518, modules: ['/demo/pin-guard.so'], dataDir: '/demo/data' };

  it('writes every demo key on the first run', () => {
    expect(mergeDemoConfig(undefined, undefined, wanted)).toEqual(wanted);
  });

  it('keeps what the user changed since the demo last wrote, and keys the demo does not manage', () => {
    const last = { ...wanted };
    const current = { ...wanted, port: 21600, pinCacheSeconds: 900, language: 'en' };
    expect(mergeDemoConfig(current, last, { ...wanted, dataDir: '/demo/data2' })).toEqual({ port: 21600, modules: ['/demo/pin-guard.so'], dataDir: '/demo/data2', pinCacheSeconds: 900, language: 'en' });
  });

  it('updates keys the user left as the demo wrote them', () => {
    expect(mergeDemoConfig({ ...wanted }, { ...wanted }, { ...wanted, modules: ['/demo/pin-guard.so', 'skf:/demo/skf.so'] }).modules).toEqual(['/demo/pin-guard.so', 'skf:/demo/skf.so']);
  });

  it('without a record of its last write, keeps only the settings the assistant window saves', () => {
    const current = { port: 21600, modules: ['/user/vendor.so'], dataDir: '/old/data' };
    expect(mergeDemoConfig(current, undefined, wanted)).toEqual({ port: 21600, modules: ['/user/vendor.so'], dataDir: '/demo/data' });
  });

  it('lets a key given explicitly for this run win (CA_ASSISTANT_PORT)', () => {
    expect(mergeDemoConfig({ ...wanted, port: 21600 }, wanted, { ...wanted, port: 22000 }, ['port']).port).toBe(22000);
  });
});

describe('writeDemoConfig', () => {
  it('survives a setting saved in the assistant window across two demo runs, and a damaged file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'demo-config-'));
    const file = join(dir, 'config.json');
    const wanted = { port: 21518, trustAnchors: ['/demo/root.pem'] };
    expect(writeDemoConfig(file, wanted).kept).toEqual([]);
    // The window's 设置 writes the port and the PIN cache time into the file.
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), port: 21600, pinCacheSeconds: 900 }));
    for (let run = 0; run < 2; run++) {
      const { config, kept } = writeDemoConfig(file, wanted);
      expect(kept).toEqual(['port']);
      expect(config).toEqual({ port: 21600, trustAnchors: ['/demo/root.pem'], pinCacheSeconds: 900 });
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(config);
    }
    writeFileSync(file, '{not json');
    expect(writeDemoConfig(file, wanted).config).toEqual(wanted);
  });
});
