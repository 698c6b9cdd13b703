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
  /** Origins the user chose “始终拒绝” for, with when: refused without a dialog. */
  blocked?: { origin: string; blockedAt: string }[];
}

/**
 * Origins the user allowed “always”, persisted in `<dataDir>/consents.json`
 * (written atomically). A missing or unreadable file means no consents.
 */
export class ConsentStore {
  readonly file: string;
  #always = new Map<string, string>();
  #blocked = new Map<string, string>();

  constructor(dataDir: string) {
    this.file = join(dataDir, 'consents.json');
    this.#load();
  }

  has(origin: string): boolean {
    return this.#always.has(origin);
  }

  /** The user chose “始终拒绝” for this origin. */
  isBlocked(origin: string): boolean {
    return this.#blocked.has(origin);
  }

  /** Refuses the origin from now on, without a dialog (and drops an “always” it had). */
  block(origin: string): void {
    this.#always.delete(origin);
    if (!this.#blocked.has(origin) && this.#blocked.size < MAX_CONSENTED_ORIGINS) this.#blocked.set(origin, new Date().toISOString());
    this.#save();
  }

  origins(): string[] {
    return [...this.#always.keys()];
  }

  grant(origin: string): void {
    if (this.#always.has(origin) || this.#always.size >= MAX_CONSENTED_ORIGINS) return;
    this.#always.set(origin, new Date().toISOString());
    this.#save();
  }

  /** Forgets the origin's “always” and its “始终拒绝”. */
  revoke(origin: string): void {
    const a = this.#always.delete(origin);
    const b = this.#blocked.delete(origin);
    if (a || b) this.#save();
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
      for (const entry of Array.isArray(parsed.blocked) ? parsed.blocked.slice(0, MAX_CONSENTED_ORIGINS) : []) {
        if (typeof entry?.origin === 'string' && typeof entry.blockedAt === 'string') this.#blocked.set(entry.origin, entry.blockedAt);
      }
    } catch (error) {
      log.warn('consents file unreadable; starting with none', { file: this.file, error: (error as Error).message });
    }
  }

  #save(): void {
    const body: ConsentFile = {
      version: 1,
      always: [...this.#always].map(([origin, grantedAt]) => ({ origin, grantedAt })),
      blocked: [...this.#blocked].map(([origin, blockedAt]) => ({ origin, blockedAt })),
    };
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(body, null, 2) + '\n', { mode: 0o600 });
    renameSync(tmp, this.file);
  }
}
