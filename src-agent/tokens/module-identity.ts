import { createHash } from 'node:crypto';
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { posix, win32 } from 'node:path';

/** Resolves symbolic links (and on Windows the real spelling); the path itself when it cannot. */
function realpathOrSelf(path: string): string {
  try {
    return realpathSync.native(path);
  } catch {
    return path;
  }
}

/**
 * A key under which two spellings of one library file compare equal: the real
 * file (symbolic links and `..` resolved), case-folded where the OS compares
 * file names case-insensitively (Windows; macOS on its default file system),
 * with `/` and `\` alike on Windows. `realpath` is injectable so that the
 * Windows rule can be tested on any OS.
 */
export function moduleFileKey(file: string, platform: NodeJS.Platform = process.platform, realpath: (p: string) => string = realpathOrSelf): string {
  const real = realpath(file);
  if (platform === 'win32') return win32.normalize(real.replaceAll('/', '\\')).toLowerCase();
  const normal = posix.normalize(real);
  return platform === 'darwin' ? normal.toLowerCase() : normal;
}

/**
 * The SHA-256 of a library file, for telling a copy of a driver in another
 * folder from a different driver; undefined when it cannot be read.
 */
export function moduleFileDigest(file: string): string | undefined {
  try {
    return createHash('sha256').update(readFileSync(file)).digest('hex');
  } catch {
    return undefined;
  }
}

/** The file's size in bytes, or -1: only files of equal size are hashed. */
export function moduleFileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return -1;
  }
}
