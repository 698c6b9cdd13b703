/**
 * What the service does, endpoint by endpoint, with the request schemas. Every
 * request is validated whole before anything changes; a refusal is a
 * MobileError with an HTTP status, a stable code and a Chinese message.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { MobileCa, SealKind } from './mobile-ca.js';
import type { SessionRow, Store } from './store.js';

/** Lifetime of a signing session, ms (default 120 s). */
export const SESSION_TTL_MS = 120_000;
/** Largest CMS a phone may send, base64 characters (default 16 KiB). */
export const MAX_SIGNATURE_BASE64 = 16 * 1024;

export class MobileError extends Error {
  override name = 'MobileError';
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

const HASH_BYTES = { sha256: 32, sha384: 48, sha512: 64 } as const;
const b64 = (min: number, max: number) => z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/).min(min).max(max);
const token = z.string().regex(/^[A-Za-z0-9_-]{16,128}$/);
const sealKind = z.enum(['organization', 'personal']);
// Origins and names are shown on the phone: no control or bidi characters.
const shown = (max: number) => z.string().min(1).max(max).refine((s) => !/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/.test(s));

export const createSchema = z.strictObject({
  origin: shown(300).refine((s) => { try { return new URL(s).origin === s; } catch { return false; } }),
  documentName: shown(200).optional(),
  hash: b64(4, 100),
  hashAlgorithm: z.enum(['sha256', 'sha384', 'sha512']),
  sealKind,
}).refine((v) => Buffer.from(v.hash, 'base64').length === HASH_BYTES[v.hashAlgorithm], { path: ['hash'], message: 'hash length does not match hashAlgorithm' });
export const enrolSchema = z.strictObject({
  account: z.string().min(1).max(64),
  enrolCode: z.string().min(1).max(64),
  pin: z.string().regex(/^\d{6}$/),
  deviceId: token,
  keys: z.strictObject({ organization: b64(40, 400), personal: b64(40, 400) }),
});
export const scanSchema = z.strictObject({ qr: z.string().min(1).max(300), deviceId: token });
export const answerSchema = z.discriminatedUnion('decision', [
  z.strictObject({ qr: z.string().min(1).max(300), deviceId: token, decision: z.literal('reject') }),
  z.strictObject({ qr: z.string().min(1).max(300), deviceId: token, decision: z.literal('sign'), pin: z.string().regex(/^\d{6}$/), sealKind, signature: b64(100, MAX_SIGNATURE_BASE64) }),
]);

/** The QR text: a scheme and an opaque single-use token (nothing else a camera could leak). */
export const QR_PREFIX = 'gcyt-sign:';

/** The short fingerprint both the assistant and the phone show: the first 8 bytes of the hash, hex, in groups of 4. */
export function hashFingerprint(hash: Buffer): string {
  return hash.subarray(0, 8).toString('hex').toUpperCase().replace(/(.{4})(?=.)/g, '$1 ');
}

export interface SessionsOptions {
  store: Store;
  ca: MobileCa;
  ttlMs?: number;
  /** Test only: the hash handed to the phone instead of the requested one (a misbehaving service). */
  tamperHash?: (hash: Buffer) => Buffer;
}

export function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const fields = [...new Set(r.error.issues.map((i) => i.path.join('.') || '(请求)'))].slice(0, 5).join('、');
  throw new MobileError(400, 'BAD_REQUEST', `请求数据格式错误：${fields}`);
}

export class Sessions {
  constructor(private readonly o: SessionsOptions) {}

  private live(row: SessionRow | undefined): SessionRow {
    if (!row) throw new MobileError(404, 'SESSION_NOT_FOUND', '二维码无效或已使用，请在互认助手中点击【刷新二维码】');
    if ((row.state === 'waiting' || row.state === 'scanned') && Date.now() > row.expires_at) {
      this.o.store.updateSession(row.id, { state: 'expired' });
      return { ...row, state: 'expired' };
    }
    return row;
  }

  create(body: unknown): { sessionId: string; qr: string; expiresAt: string } {
    const p = parse(createSchema, body);
    const now = Date.now();
    const id = randomBytes(24).toString('base64url');
    const qr = QR_PREFIX + randomBytes(24).toString('base64url');
    const expires = now + (this.o.ttlMs ?? SESSION_TTL_MS);
    this.o.store.insertSession({ id, qr, origin: p.origin, document_name: p.documentName ?? null, hash: p.hash, hash_algorithm: p.hashAlgorithm, seal_kind: p.sealKind, created_at: now, expires_at: expires });
    return { sessionId: id, qr, expiresAt: new Date(expires).toISOString() };
  }

  status(id: string): Record<string, unknown> {
    const row = this.live(this.o.store.session('id', id));
    const out: Record<string, unknown> = { state: row.state, expiresAt: new Date(row.expires_at).toISOString() };
    if (row.account) out.scannedBy = { name: this.o.store.account(row.account)?.name ?? '' };
    if (row.state === 'signed' && row.account && row.chosen_kind) {
      const seal = this.o.store.seal(row.account, row.chosen_kind);
      out.result = { signature: row.signature, sealKind: row.chosen_kind, seal: seal && { mime: seal.mime, image: seal.image.toString('base64'), widthMm: seal.widthMm, heightMm: seal.heightMm } };
    }
    return out;
  }

  cancel(id: string): { state: string } {
    const row = this.live(this.o.store.session('id', id));
    if (row.state === 'waiting' || row.state === 'scanned') this.o.store.updateSession(row.id, { state: 'cancelled' });
    return { state: this.live(this.o.store.session('id', id)).state };
  }

  async enrol(body: unknown): Promise<Record<string, unknown>> {
    const p = parse(enrolSchema, body);
    const account = this.o.store.account(p.account);
    if (!account || account.enrolCode !== p.enrolCode) throw new MobileError(403, 'ENROL_REFUSED', '账号或激活码不正确');
    if (this.o.store.deviceAccount(p.deviceId)) throw new MobileError(409, 'DEVICE_ENROLLED', '本手机已激活');
    const certs = {} as Record<SealKind, Buffer>;
    for (const kind of ['organization', 'personal'] as const) {
      try {
        certs[kind] = await this.o.ca.issue(Buffer.from(p.keys[kind], 'base64'), kind, account);
      } catch {
        throw new MobileError(400, 'BAD_KEY', '手机密钥格式错误，无法签发证书');
      }
    }
    this.o.store.enrol(p.account, p.pin, p.deviceId, certs);
    return { name: account.name, org: account.org, certificates: { organization: certs.organization.toString('base64'), personal: certs.personal.toString('base64') } };
  }

  scan(body: unknown): Record<string, unknown> {
    const p = parse(scanSchema, body);
    const account = this.o.store.deviceAccount(p.deviceId);
    if (!account) throw new MobileError(403, 'DEVICE_UNKNOWN', '本手机尚未激活公采易通，请先激活');
    const row = this.live(this.o.store.session('qr', p.qr));
    if (row.state === 'expired') throw new MobileError(410, 'SESSION_EXPIRED', '二维码已过期，请在互认助手中点击【刷新二维码】后重新扫描');
    if (row.device_id && row.device_id !== p.deviceId) throw new MobileError(409, 'SESSION_TAKEN', '该二维码已被其他手机扫描，不能重复使用');
    if (row.state !== 'waiting' && !(row.state === 'scanned' && row.device_id === p.deviceId)) throw new MobileError(410, 'SESSION_USED', '该二维码已使用或已取消');
    this.o.store.updateSession(row.id, { state: 'scanned', device_id: p.deviceId, account });
    const hash = this.o.tamperHash ? this.o.tamperHash(Buffer.from(row.hash, 'base64')) : Buffer.from(row.hash, 'base64');
    const seals = Object.fromEntries((['organization', 'personal'] as const).map((k) => {
      const s = this.o.store.seal(account, k);
      return [k, s ? { mime: s.mime, image: s.image.toString('base64') } : null];
    }));
    return {
      origin: row.origin, documentName: row.document_name, hash: hash.toString('base64'), hashAlgorithm: row.hash_algorithm, sealKind: row.seal_kind,
      fingerprint: hashFingerprint(hash), expiresAt: new Date(row.expires_at).toISOString(), seals,
    };
  }

  answer(body: unknown): { state: string } {
    const p = parse(answerSchema, body);
    const row = this.live(this.o.store.session('qr', p.qr));
    if (row.device_id !== p.deviceId) throw new MobileError(409, 'SESSION_TAKEN', '该二维码不是由本手机扫描的');
    if (row.state === 'expired') throw new MobileError(410, 'SESSION_EXPIRED', '二维码已过期，请在互认助手中点击【刷新二维码】后重新扫描');
    if (row.state !== 'scanned') throw new MobileError(410, 'SESSION_USED', '该签章请求已结束');
    if (p.decision === 'reject') {
      this.o.store.updateSession(row.id, { state: 'rejected' });
      return { state: 'rejected' };
    }
    if (!this.o.store.checkPin(row.account as string, p.pin)) throw new MobileError(403, 'PIN_INCORRECT', '应用密码错误，请重新输入');
    this.o.store.updateSession(row.id, { state: 'signed', signature: p.signature, chosen_kind: p.sealKind });
    return { state: 'signed' };
  }
}
