import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { logger } from '../util/log.js';

const log = logger('consent');

/** Most origins remembered as "always allowed" (default 200). */
export const MAX_CONSENTED_ORIGINS = 200;

interface ConsentFile {
  version: 1;
  /** Origins the user chose “始终允许” for, with when. */
  always: { origin: string; grantedAt: string }[];
}

/**
 * Origins the user allowed “always”, persisted in `<dataDir>/consents.json`
 * (written atomically). A missing or unreadable file means no consents.
 */
export class ConsentStore {
  readonly file: string;
  #always = new Map<string, string>();

  constructor(dataDir: string) {
    this.file = join(dataDir, 'consents.json');
    this.#load();
  }

  has(origin: string): boolean {
    return this.#always.has(origin);
  }

  origins(): string[] {
    return [...this.#always.keys()];
  }

  grant(origin: string): void {
    if (this.#always.has(origin) || this.#always.size >= MAX_CONSENTED_ORIGINS) return;
    this.#always.set(origin, new Date().toISOString());
    this.#save();
  }

  revoke(origin: string): void {
    if (this.#always.delete(origin)) this.#save();
  }

  #load(): void {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      return;
    }
    try {
      const parsed = JSON.parse(text) as Partial<ConsentFile>;
      for (const entry of Array.isArray(parsed.always) ? parsed.always.slice(0, MAX_CONSENTED_ORIGINS) : []) {
        if (typeof entry?.origin === 'string' && typeof entry.grantedAt === 'string') this.#always.set(entry.origin, entry.grantedAt);
      }
    } catch (error) {
      log.warn('consents file unreadable; starting with none', { file: this.file, error: (error as Error).message });
    }
  }

  #save(): void {
    const body: ConsentFile = { version: 1, always: [...this.#always].map(([origin, grantedAt]) => ({ origin, grantedAt })) };
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(body, null, 2) + '\n', { mode: 0o600 });
    renameSync(tmp, this.file);
  }
}
