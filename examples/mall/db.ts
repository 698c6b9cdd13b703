/** The mall's SQLite database: users, the order, contracts, seals, attachments, certificate bindings. */
import Database from 'better-sqlite3';

export type Role = 'supplier' | 'buyer';

/** Contract states, named as the manual's screens name them. */
export const STATE_LABEL = {
  draft: '草稿',
  pending_confirm: '待确认',
  pending_seal: '待盖章',
  supplier_sealed: '供应商已盖章',
  filed: '已备案',
} as const;
export type ContractState = keyof typeof STATE_LABEL;

/** A draft the buyer sent back (退回合同到草稿, or 修改) is shown as such to both parties. */
export const RETURNED_LABEL = '已退回';

/** The state as the screens name it: 已退回 for a returned draft. */
export function stateLabel(c: Pick<ContractRow, 'state' | 'returned'>): string {
  return c.state === 'draft' && c.returned === 1 ? RETURNED_LABEL : STATE_LABEL[c.state];
}

export interface UserRow { id: string; role: Role; name: string; org: string }
export interface ContractRow {
  id: number; order_id: number; state: ContractState; fields: string; payment_method: string | null; payment_amount: string | null;
  online: number | null; pdf: Buffer | null; filing_id: number | null; filing_reason: string | null; updated_at: string;
  /** 1 when the buyer sent the contract back to the draft (退回 or 修改) and the supplier has not sent it again. */
  returned: number;
  /** The buyer's reason for sending it back, shown to the supplier; null when none was given. */
  return_reason: string | null;
}
export interface SealRow {
  id: number; contract_id: number; seq: number; position: string; party: Role; fingerprint: string; signer: string;
  /** The certificate's key: `SM2` (国密), `RSA`, `EC`; empty for seals from before it was recorded. */
  key_algorithm: string; length_before: number; created_at: string;
  /** The seal's RFC 3161 trusted time (ISO 8601), when the mall requires time-stamps. */
  trusted_time: string | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY, role TEXT NOT NULL, name TEXT NOT NULL, org TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS orders (id INTEGER PRIMARY KEY, order_no TEXT NOT NULL, buyer_org TEXT NOT NULL, supplier_org TEXT NOT NULL,
  goods TEXT NOT NULL, amount TEXT NOT NULL, status TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS contracts (id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL UNIQUE REFERENCES orders(id), state TEXT NOT NULL,
  fields TEXT NOT NULL, payment_method TEXT, payment_amount TEXT, online INTEGER, pdf BLOB, filing_id INTEGER, filing_reason TEXT, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS seals (id INTEGER PRIMARY KEY, contract_id INTEGER NOT NULL REFERENCES contracts(id), seq INTEGER NOT NULL,
  position TEXT NOT NULL, party TEXT NOT NULL, fingerprint TEXT NOT NULL, signer TEXT NOT NULL, key_algorithm TEXT NOT NULL DEFAULT '',
  length_before INTEGER NOT NULL, created_at TEXT NOT NULL, UNIQUE (contract_id, position));
CREATE TABLE IF NOT EXISTS pending_seals (id TEXT PRIMARY KEY, contract_id INTEGER NOT NULL, position TEXT NOT NULL, fingerprint TEXT NOT NULL,
  signer TEXT NOT NULL, key_algorithm TEXT NOT NULL DEFAULT '', pdf BLOB NOT NULL, byte_range TEXT NOT NULL, hash TEXT NOT NULL,
  hash_algorithm TEXT NOT NULL DEFAULT 'sha256', length_before INTEGER NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS attachments (id INTEGER PRIMARY KEY, contract_id INTEGER NOT NULL, name TEXT NOT NULL, mime TEXT NOT NULL, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS bindings (user_id TEXT PRIMARY KEY REFERENCES users(id), fingerprint TEXT NOT NULL UNIQUE, subject TEXT NOT NULL, bound_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS challenges (nonce TEXT PRIMARY KEY, user_id TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS history (id INTEGER PRIMARY KEY, contract_id INTEGER NOT NULL, time TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL);
`;

/**
 * Demo accounts: two supplier staff of one company (to show one-certificate-one-account),
 * a supplier whose unit key is 国密 SM2 (the SKF soft key of the demo), and a buyer.
 */
export const DEMO_USERS: UserRow[] = [
  { id: 'supplier', role: 'supplier', name: '张三（供应商）', org: '河南示例科技有限公司' },
  { id: 'supplier2', role: 'supplier', name: '王五（供应商）', org: '河南示例科技有限公司' },
  { id: 'supplier-gm', role: 'supplier', name: '赵六（国密供应商）', org: '郑州国密科技有限公司' },
  { id: 'buyer', role: 'buyer', name: '李四（采购人）', org: '郑州市第一中学' },
];

/** Demo orders, all already confirmed by their supplier: [order no, buyer, supplier, goods, amount (yuan)]. */
const DEMO_ORDERS: ReadonlyArray<[string, string, string, string, string]> = [
  ['DD20250001', '郑州市第一中学', '河南示例科技有限公司', '台式计算机（i5/16G/512G）20 台', '98000.00'],
  ['DD20250002', '郑州市第一中学', '河南示例科技有限公司', '激光打印机 5 台', '12500.00'],
  ['DD20250003', '郑州市第一中学', '郑州国密科技有限公司', '商用密码服务器 2 台', '56000.00'],
];

/** Adds a column a database from an earlier version of the mall lacks. */
function addColumn(db: Database.Database, table: string, column: string, declaration: string): void {
  const columns = db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>;
  if (!columns.some((c) => c.name === column)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${declaration}`);
}

/** Opens the database, bringing an older one up to date and adding any missing demo account or order. */
export function openDb(file: string): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.exec(SCHEMA);
  // Seals made before the key algorithm was recorded say nothing rather than a guess.
  addColumn(db, 'seals', 'key_algorithm', "TEXT NOT NULL DEFAULT ''");
  addColumn(db, 'seals', 'trusted_time', 'TEXT');
  addColumn(db, 'pending_seals', 'key_algorithm', "TEXT NOT NULL DEFAULT ''");
  addColumn(db, 'pending_seals', 'hash_algorithm', "TEXT NOT NULL DEFAULT 'sha256'");
  addColumn(db, 'contracts', 'returned', 'INTEGER NOT NULL DEFAULT 0');
  addColumn(db, 'contracts', 'return_reason', 'TEXT');
  const addUser = db.prepare('INSERT OR IGNORE INTO users (id, role, name, org) VALUES (@id, @role, @name, @org)');
  for (const u of DEMO_USERS) addUser.run(u);
  const addOrder = db.prepare(`INSERT INTO orders (order_no, buyer_org, supplier_org, goods, amount, status)
    SELECT ?, ?, ?, ?, ?, '供应商已确认' WHERE NOT EXISTS (SELECT 1 FROM orders WHERE order_no = ?)`);
  for (const o of DEMO_ORDERS) addOrder.run(...o, o[0]);
  return db;
}
