import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';

/** File name of the hand-over page under the directory given (the data directory's `ui/`). */
export const ENTRY_PAGE_NAME = 'open-assistant.html';

const escapeAttr = (text: string): string => text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

/**
 * Writes the hand-over page: a file only this user can read (0600, in a 0700
 * directory) that forwards the browser to `url`. The desktop opener gets the
 * file's path on its command line, not the one-time code. Returns the path.
 */
export async function writeEntryPage(dir: string, url: string): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, ENTRY_PAGE_NAME);
  const html = `<!doctype html><meta charset="utf-8"><meta name="referrer" content="no-referrer"><meta http-equiv="refresh" content="0;url=${escapeAttr(url)}"><title>互认助手</title><p>正在打开互认助手界面…… Opening the assistant window…</p>\n`;
  // Replace, never append to, a file someone else may have prepared: open with O_TRUNC and our mode, then fix the mode.
  const handle = await open(file, 'w', 0o600);
  try {
    await handle.chmod(0o600);
    await handle.writeFile(html, 'utf8');
  } finally {
    await handle.close();
  }
  return file;
}
