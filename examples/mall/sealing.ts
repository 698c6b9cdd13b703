/**
 * Online sealing (签章) and personal-certificate binding. The page asks the
 * assistant for the seal image and the CMS; the server prepares the PDF
 * revision, hands out the hash (SM3 for a 国密 SM2 certificate, SHA-256
 * otherwise), and checks the CMS before keeping it.
 */
import { randomBytes, randomUUID, X509Certificate } from 'node:crypto';
import type Database from 'better-sqlite3';
import { checkSealTimestamp } from './cms/timestamp.js';
import { digestFor, keyAlgorithmOf, subjectField, verifyDetachedCms, type DigestName, type TrustStore } from './cms/verify-cms.js';
import { POSITION_LABEL, POSITION_RECT, SEAL_POSITIONS, type SealPosition } from './pdf/contract-pdf.js';
import { embedCms, prepareSeal } from './pdf/seal-writer.js';
import { MallError, documentName, type Contracts } from './contracts.js';
import type { Role, UserRow } from './db.js';

/**
 * The seal's trusted time (ISO 8601) when the mall requires time-stamps (`tsaRoots` given), else null.
 * @throws MallError 400 when a required time-stamp is missing or does not verify.
 */
export async function requiredTrustedTime(cms: Buffer, tsaRoots: X509Certificate[], signer: X509Certificate): Promise<string | null> {
  if (tsaRoots.length === 0) return null;
  const ts = await checkSealTimestamp(cms, tsaRoots, signer);
  if (!ts.valid || !ts.time) throw new MallError(400, `签章须带有效的可信时间戳：${ts.problem ?? '时间戳无效'}`);
  return ts.time.toISOString();
}

/** How long a binding challenge stays valid, ms. */
export const CHALLENGE_TTL_MS = 5 * 60_000;

const fingerprint = (cert: X509Certificate): string => cert.fingerprint256.replace(/:/g, '').toLowerCase();
const partyOf = (p: SealPosition): Role => (p.startsWith('supplier') ? 'supplier' : 'buyer');

function parseCert(b64: unknown): X509Certificate {
  try {
    return new X509Certificate(Buffer.from(String(b64), 'base64'));
  } catch {
    throw new MallError(400, '证书数据无效');
  }
}

export interface Binding { fingerprint: string; subject: string; boundAt: string }

export class Sealing {
  /** `tsaRoots` non-empty: every seal must carry a valid trusted time-stamp (PAdES B-T). */
  constructor(private readonly db: Database.Database, private readonly contracts: Contracts, private readonly trust: TrustStore, private readonly origin: () => string[],
    private readonly tsaRoots: X509Certificate[] = []) {}

  binding(user: UserRow): Binding | undefined {
    const row = this.db.prepare('SELECT fingerprint, subject, bound_at FROM bindings WHERE user_id = ?').get(user.id) as Record<string, string> | undefined;
    return row ? { fingerprint: row.fingerprint as string, subject: row.subject as string, boundAt: row.bound_at as string } : undefined;
  }

  challenge(user: UserRow): string {
    const nonce = randomBytes(32).toString('base64');
    this.db.prepare('DELETE FROM challenges WHERE user_id = ? OR created_at < ?').run(user.id, Date.now() - CHALLENGE_TTL_MS);
    this.db.prepare('INSERT INTO challenges (nonce, user_id, created_at) VALUES (?, ?, ?)').run(nonce, user.id, Date.now());
    return nonce;
  }

  /** Binds the personal certificate proven by auth.challenge; one account ↔ one certificate. */
  bind(user: UserRow, proof: { certificate?: unknown; payload?: unknown; signature?: unknown }): Binding {
    const cert = parseCert(proof.certificate);
    let payload: { type?: string; origin?: string; nonce?: string; time?: string };
    try {
      payload = JSON.parse(String(proof.payload)) as typeof payload;
    } catch {
      throw new MallError(400, '证书绑定数据无效');
    }
    const challenge = this.db.prepare('SELECT created_at FROM challenges WHERE nonce = ? AND user_id = ?').get(payload.nonce ?? '', user.id) as { created_at: number } | undefined;
    if (payload.type !== 'ca-assistant/auth' || !challenge || Date.now() - challenge.created_at > CHALLENGE_TTL_MS) throw new MallError(400, '绑定请求已过期，请重新点击绑定');
    if (!this.origin().includes(payload.origin ?? '')) throw new MallError(400, '证书签名的来源网站与本商城不符');
    this.db.prepare('DELETE FROM challenges WHERE nonce = ?').run(payload.nonce);
    const v = verifyDetachedCms(Buffer.from(String(proof.signature), 'base64'), { parts: [Buffer.from(String(proof.payload), 'utf8')] }, this.trust);
    if (!v.valid || v.signer?.fingerprint256 !== cert.fingerprint256) throw new MallError(400, `证书验证失败：${v.problems.join('；') || '签名证书与所选证书不一致'}`);
    if (this.binding(user)) throw new MallError(409, '本账号已绑定个人证书，如需更换请先解绑');
    const fp = fingerprint(cert);
    const other = this.db.prepare('SELECT u.name FROM bindings b JOIN users u ON u.id = b.user_id WHERE b.fingerprint = ?').get(fp) as { name: string } | undefined;
    if (other) throw new MallError(409, `该证书已绑定账号“${other.name}”，账号和CA只能一对一绑定，不允许绑定多个`);
    const subject = `${subjectField(cert, 'CN') ?? ''}（${subjectField(cert, 'O') ?? ''}）`;
    this.db.prepare('INSERT INTO bindings (user_id, fingerprint, subject, bound_at) VALUES (?, ?, ?, ?)').run(user.id, fp, subject, new Date().toISOString());
    return { fingerprint: fp, subject, boundAt: new Date().toISOString() };
  }

  unbind(user: UserRow): void {
    this.db.prepare('DELETE FROM bindings WHERE user_id = ?').run(user.id);
  }

  /** Throws unless `user` may seal or delete at `position` now (also used by 公采签, mobile-sealing.ts). */
  sealableBy(contractId: number, user: UserRow, position: SealPosition): void {
    const c = this.contracts.get(contractId);
    if (partyOf(position) !== user.role) throw new MallError(403, `不能在${POSITION_LABEL[position]}位置盖章`);
    if (user.role === 'buyer' && c.state === 'pending_seal') throw new MallError(409, '供应商尚未完成签章，请待供应商盖章并发送后再盖章');
    const state = user.role === 'supplier' ? 'pending_seal' : 'supplier_sealed';
    if (c.state !== state) throw new MallError(409, '合同当前状态不能盖章或删除签章');
  }

  /** Appends the seal revision with a placeholder; returns the hash and its algorithm for sign.hash. */
  prepare(contractId: number, user: UserRow, input: { position?: unknown; certificate?: unknown; image?: unknown; widthMm?: unknown; heightMm?: unknown }): {
    pendingId: string; hash: string; hashAlgorithm: 'sha256' | 'sm3'; keyAlgorithm: string; documentName: string; timestamp: boolean;
  } {
    const position = input.position as SealPosition;
    if (!SEAL_POSITIONS.includes(position)) throw new MallError(400, '签章位置无效');
    this.sealableBy(contractId, user, position);
    const c = this.contracts.get(contractId);
    if (this.contracts.seals(contractId).some((s) => s.position === position)) throw new MallError(409, `${POSITION_LABEL[position]}位置已盖章，如需重盖请先删除`);
    const cert = parseCert(input.certificate);
    const fp = fingerprint(cert);
    const org = subjectField(cert, 'O');
    if (org !== user.org) throw new MallError(400, `所选证书属于“${org ?? '未知单位'}”，不是本单位（${user.org}）的证书`);
    if (position.endsWith('person')) {
      const b = this.binding(user);
      if (!b) throw new MallError(409, '加盖个人签章前，请先在首页绑定个人证书');
      if (b.fingerprint !== fp) throw new MallError(409, '所选个人证书与本账号绑定的证书不一致');
    } else if (subjectField(cert, 'CN') !== org) throw new MallError(400, '公章位置请使用单位证书');
    const png = Buffer.from(String(input.image ?? ''), 'base64');
    if (png.subarray(1, 4).toString('latin1') !== 'PNG') throw new MallError(400, '印章图片须为 PNG');
    const pdf = c.pdf as Buffer;
    const f = this.contracts.fields(c);
    const mm = (v: unknown): number | undefined => (typeof v === 'number' && v > 0 && v < 100 ? v : undefined);
    const signer = subjectField(cert, 'CN') ?? '';
    const keyAlgorithm = keyAlgorithmOf(cert);
    // The assistant signs SM2 keys over SM3 only (GM/T 0009); everything else gets SHA-256.
    const hashAlgorithm = digestFor(cert);
    const prepared = prepareSeal(pdf, {
      fieldName: POSITION_LABEL[position], rect: POSITION_RECT[position], reason: `${f.title} ${f.contractNo} ${POSITION_LABEL[position]}`,
      signerName: signer, image: { png, widthMm: mm(input.widthMm), heightMm: mm(input.heightMm) }, hashAlgorithm,
    });
    const pendingId = randomUUID();
    this.db.prepare('DELETE FROM pending_seals WHERE contract_id = ? AND position = ?').run(contractId, position);
    this.db.prepare(`INSERT INTO pending_seals (id, contract_id, position, fingerprint, signer, key_algorithm, pdf, byte_range, hash, hash_algorithm, length_before, created_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(pendingId, contractId, position, fp, signer, keyAlgorithm, prepared.pdf, JSON.stringify(prepared.byteRange),
      prepared.hash.toString('base64'), hashAlgorithm, pdf.length, new Date().toISOString());
    return { pendingId, hash: prepared.hash.toString('base64'), hashAlgorithm, keyAlgorithm, documentName: documentName(f), timestamp: this.tsaRoots.length > 0 };
  }

  /** Embeds the CMS after checking it signs this hash with the chosen certificate. */
  async complete(contractId: number, user: UserRow, input: { pendingId?: unknown; signature?: unknown }): Promise<void> {
    const p = this.db.prepare('SELECT * FROM pending_seals WHERE id = ? AND contract_id = ?').get(String(input.pendingId), contractId) as Record<string, unknown> | undefined;
    if (!p) throw new MallError(404, '签章请求已失效，请重新签章');
    const position = p.position as SealPosition;
    this.sealableBy(contractId, user, position);
    const c = this.contracts.get(contractId);
    if ((c.pdf as Buffer).length !== p.length_before) throw new MallError(409, '合同已变化，请重新签章');
    const cms = Buffer.from(String(input.signature ?? ''), 'base64');
    const v = verifyDetachedCms(cms, { digest: Buffer.from(p.hash as string, 'base64'), algorithm: p.hash_algorithm as DigestName }, this.trust);
    if (!v.valid || !v.signer || fingerprint(v.signer) !== p.fingerprint) throw new MallError(400, `签名验证失败：${v.problems.join('；') || '签名证书与所选证书不一致'}`);
    const trustedTime = await requiredTrustedTime(cms, this.tsaRoots, v.signer);
    // Checked again after the await: another request may have sealed meanwhile.
    if ((this.contracts.get(contractId).pdf as Buffer).length !== p.length_before) throw new MallError(409, '合同已变化，请重新签章');
    const pdf = embedCms({ pdf: p.pdf as Buffer, byteRange: JSON.parse(p.byte_range as string) as [number, number, number, number] }, cms);
    const seq = (this.contracts.seals(contractId).at(-1)?.seq ?? 0) + 1;
    this.db.transaction(() => {
      this.db.prepare('UPDATE contracts SET pdf = ?, updated_at = ? WHERE id = ?').run(pdf, new Date().toISOString(), contractId);
      this.db.prepare('INSERT INTO seals (contract_id, seq, position, party, fingerprint, signer, key_algorithm, length_before, created_at, trusted_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(contractId, seq, position, partyOf(position), p.fingerprint, p.signer, p.key_algorithm, p.length_before, new Date().toISOString(), trustedTime);
      this.db.prepare('DELETE FROM pending_seals WHERE id = ?').run(p.id);
    })();
    this.contracts.log(contractId, user, `在${POSITION_LABEL[position]}位置盖章（${p.signer as string}）`);
  }

  /** Deletes a seal by truncating the PDF to the revision before it; later seals of the same party go with it. */
  remove(contractId: number, user: UserRow, sealId: number): string[] {
    const seals = this.contracts.seals(contractId);
    const seal = seals.find((s) => s.id === sealId);
    if (!seal) throw new MallError(404, '签章不存在');
    this.sealableBy(contractId, user, seal.position as SealPosition);
    const gone = seals.filter((s) => s.seq >= seal.seq);
    if (gone.some((s) => s.party !== user.role)) throw new MallError(409, '不能删除对方的签章');
    const pdf = this.contracts.get(contractId).pdf as Buffer;
    this.db.transaction(() => {
      this.db.prepare('UPDATE contracts SET pdf = ?, updated_at = ? WHERE id = ?').run(pdf.subarray(0, seal.length_before), new Date().toISOString(), contractId);
      this.db.prepare('DELETE FROM seals WHERE contract_id = ? AND seq >= ?').run(contractId, seal.seq);
    })();
    const labels = gone.map((s) => POSITION_LABEL[s.position as SealPosition]);
    this.contracts.log(contractId, user, `删除签章：${labels.join('、')}`);
    return labels;
  }
}
