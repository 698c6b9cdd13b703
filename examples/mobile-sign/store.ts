/** The 公采易通 stand-in's SQLite store: accounts with their seals, enrolled phones and their certificates, signing sessions. */
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import Database from 'better-sqlite3';
import type { Holder, SealKind } from './mobile-ca.js';

export interface SealImage { mime: 'image/png'; image: Buffer; widthMm: number; heightMm: number }

/** An account the service knows (seeded by the operator: the demo, the tests). */
export interface AccountSeed extends Holder {
  /** The login, e.g. a phone number. */
  account: string;
  /** One-time enrolment code handed to the user (激活码). */
  enrolCode: string;
  seals: Record<SealKind, SealImage>;
}

export type SessionState = 'waiting' | 'scanned' | 'signed' | 'rejected' | 'expired' | 'cancelled';

export interface SessionRow {
  id: string; qr: string; origin: string; document_name: string | null; hash: string; hash_algorithm: string; seal_kind: SealKind;
  created_at: number; expires_at: number; state: SessionState; device_id: string | null; account: string | null;
  signature: string | null; chosen_kind: SealKind | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS accounts (account TEXT PRIMARY KEY, name TEXT NOT NULL, org TEXT NOT NULL, uscc TEXT NOT NULL, id_card TEXT NOT NULL,
  enrol_code TEXT NOT NULL, pin_hash TEXT);
CREATE TABLE IF NOT EXISTS seals (account TEXT NOT NULL REFERENCES accounts(account), kind TEXT NOT NULL, mime TEXT NOT NULL, image BLOB NOT NULL,
  width_mm REAL NOT NULL, height_mm REAL NOT NULL, PRIMARY KEY (account, kind));
CREATE TABLE IF NOT EXISTS devices (id TEXT PRIMARY KEY, account TEXT NOT NULL REFERENCES accounts(account), enrolled_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS certificates (device_id TEXT NOT NULL REFERENCES devices(id), kind TEXT NOT NULL, der BLOB NOT NULL, PRIMARY KEY (device_id, kind));
CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, qr TEXT NOT NULL UNIQUE, origin TEXT NOT NULL, document_name TEXT, hash TEXT NOT NULL,
  hash_algorithm TEXT NOT NULL, seal_kind TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, state TEXT NOT NULL,
  device_id TEXT, account TEXT, signature TEXT, chosen_kind TEXT);
`;

const hashPin = (pin: string, salt = randomBytes(16)): string => `${salt.toString('hex')}:${scryptSync(pin, salt, 32).toString('hex')}`;

function pinMatches(pin: string, stored: string): boolean {
  const [salt, hash] = stored.split(':');
  const got = scryptSync(pin, Buffer.from(salt ?? '', 'hex'), 32);
  return timingSafeEqual(got, Buffer.from(hash ?? '', 'hex'));
}

export class Store {
  readonly db: Database.Database;

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.exec(SCHEMA);
  }

  /** Adds accounts not yet known (a restart keeps enrolments). */
  seed(accounts: AccountSeed[]): void {
    const add = this.db.transaction((list: AccountSeed[]) => {
      for (const a of list) {
        if (this.db.prepare('SELECT 1 FROM accounts WHERE account = ?').get(a.account)) continue;
        this.db.prepare('INSERT INTO accounts (account, name, org, uscc, id_card, enrol_code) VALUES (?, ?, ?, ?, ?, ?)').run(a.account, a.name, a.org, a.uscc, a.idCard, a.enrolCode);
        for (const kind of ['organization', 'personal'] as const) {
          const s = a.seals[kind];
          this.db.prepare('INSERT INTO seals (account, kind, mime, image, width_mm, height_mm) VALUES (?, ?, ?, ?, ?, ?)').run(a.account, kind, s.mime, s.image, s.widthMm, s.heightMm);
        }
      }
    });
    add(accounts);
  }

  account(account: string): (Holder & { account: string; enrolCode: string; pinHash: string | null }) | undefined {
    const r = this.db.prepare('SELECT * FROM accounts WHERE account = ?').get(account) as Record<string, string | null> | undefined;
    return r ? { account: r.account as string, name: r.name as string, org: r.org as string, uscc: r.uscc as string, idCard: r.id_card as string, enrolCode: r.enrol_code as string, pinHash: r.pin_hash ?? null } : undefined;
  }

  seal(account: string, kind: SealKind): SealImage | undefined {
    const r = this.db.prepare('SELECT mime, image, width_mm, height_mm FROM seals WHERE account = ? AND kind = ?').get(account, kind) as { mime: 'image/png'; image: Buffer; width_mm: number; height_mm: number } | undefined;
    return r ? { mime: r.mime, image: r.image, widthMm: r.width_mm, heightMm: r.height_mm } : undefined;
  }

  enrol(account: string, pin: string, deviceId: string, certs: Record<SealKind, Buffer>): void {
    this.db.transaction(() => {
      this.db.prepare('UPDATE accounts SET pin_hash = ? WHERE account = ?').run(hashPin(pin), account);
      this.db.prepare('INSERT INTO devices (id, account, enrolled_at) VALUES (?, ?, ?)').run(deviceId, account, new Date().toISOString());
      for (const [kind, der] of Object.entries(certs)) this.db.prepare('INSERT INTO certificates (device_id, kind, der) VALUES (?, ?, ?)').run(deviceId, kind, der);
    })();
  }

  deviceAccount(deviceId: string): string | undefined {
    return (this.db.prepare('SELECT account FROM devices WHERE id = ?').get(deviceId) as { account: string } | undefined)?.account;
  }

  checkPin(account: string, pin: string): boolean {
    const stored = this.account(account)?.pinHash;
    return stored ? pinMatches(pin, stored) : false;
  }

  insertSession(s: Pick<SessionRow, 'id' | 'qr' | 'origin' | 'document_name' | 'hash' | 'hash_algorithm' | 'seal_kind' | 'created_at' | 'expires_at'>): void {
    this.db.prepare(`INSERT INTO sessions (id, qr, origin, document_name, hash, hash_algorithm, seal_kind, created_at, expires_at, state)
      VALUES (@id, @qr, @origin, @document_name, @hash, @hash_algorithm, @seal_kind, @created_at, @expires_at, 'waiting')`).run(s);
  }

  session(by: 'id' | 'qr', value: string): SessionRow | undefined {
    return this.db.prepare(`SELECT * FROM sessions WHERE ${by === 'id' ? 'id' : 'qr'} = ?`).get(value) as SessionRow | undefined;
  }

  updateSession(id: string, fields: Partial<Pick<SessionRow, 'state' | 'device_id' | 'account' | 'signature' | 'chosen_kind'>>): void {
    const keys = Object.keys(fields);
    this.db.prepare(`UPDATE sessions SET ${keys.map((k) => `${k} = @${k}`).join(', ')} WHERE id = @id`).run({ ...fields, id });
  }

  close(): void {
    this.db.close();
  }
}
