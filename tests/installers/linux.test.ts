import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- plain .mjs build script without type declarations
import { udevRules } from '../../installers/linux/gen-udev-rules.mjs';

const linux = fileURLToPath(new URL('../../installers/linux/', import.meta.url));
const vendors = JSON.parse(readFileSync(fileURLToPath(new URL('../../src-agent/tokens/vendors.json', import.meta.url)), 'utf8')) as { vendors: unknown[] };

describe('installers/linux', () => {
  it('ships udev rules generated from the current vendor table', () => {
    expect(readFileSync(`${linux}60-ca-assistant.rules`, 'utf8')).toBe((udevRules as (v: unknown[]) => string)(vendors.vendors));
  });

  it('grants the seat user access to each vendor id', () => {
    const text = (udevRules as (v: unknown[]) => string)([{ id: 'x', nameEn: 'X', usb: [{ vendorId: 0x96e, productId: 0x702 }] }]);
    expect(text).toContain('SUBSYSTEM=="usb", ATTRS{idVendor}=="096e", ATTRS{idProduct}=="0702", MODE="0660", TAG+="uaccess"');
  });

  it('autostarts the assistant hidden in the tray', () => {
    const entry = readFileSync(`${linux}ca-assistant-autostart.desktop`, 'utf8');
    expect(entry).toMatch(/^Exec=.* --hidden$/m);
    expect(entry).toMatch(/^Name=互认助手$/m);
  });
});
