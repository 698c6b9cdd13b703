// Writes 60-ca-assistant.rules from the vendor table's USB ids, so the logged-in
// user (systemd-logind "uaccess") can open the CA keys without root.
//   node installers/linux/gen-udev-rules.mjs            (writes the file)
//   node installers/linux/gen-udev-rules.mjs --stdout   (prints it)
import { readFileSync, writeFileSync } from 'node:fs';

const table = JSON.parse(readFileSync(new URL('../../src-agent/tokens/vendors.json', import.meta.url), 'utf8'));
const hex = (n) => n.toString(16).padStart(4, '0');

/** The rules text for a vendor table `{vendors:[{id, nameEn, usb:[{vendorId, productId?}]}]}`. */
export function udevRules(vendors) {
  const lines = [
    '# 互认助手 (ca-assistant): access to USB CA keys for the logged-in user.',
    '# Generated from src-agent/tokens/vendors.json by installers/linux/gen-udev-rules.mjs; do not edit.',
  ];
  for (const vendor of vendors) {
    for (const usb of vendor.usb ?? []) {
      const match = `ATTRS{idVendor}=="${hex(usb.vendorId)}"` + (usb.productId === undefined ? '' : `, ATTRS{idProduct}=="${hex(usb.productId)}"`);
      lines.push(`# ${vendor.id}: ${vendor.nameEn}`);
      lines.push(`SUBSYSTEM=="usb", ${match}, MODE="0660", TAG+="uaccess"`);
      lines.push(`SUBSYSTEM=="hidraw", ${match}, MODE="0660", TAG+="uaccess"`);
    }
  }
  return lines.join('\n') + '\n';
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split(/[\\/]/).pop())) {
  const text = udevRules(table.vendors);
  if (process.argv.includes('--stdout')) process.stdout.write(text);
  else writeFileSync(new URL('./60-ca-assistant.rules', import.meta.url), text);
}
