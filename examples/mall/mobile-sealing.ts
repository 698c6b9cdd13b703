/**
 * 公采签 (移动签) at the mall: the same seal revision as 签章 with a USB key
 * (visible image + PDF signature by incremental update), but the certificate is
 * only known once the phone has signed. So the revision is prepared without one
 * (SHA-256: phones sign P-256), and the signer is read from the verified CMS at
 * completion: it must belong to this unit, be a unit certificate at a 公章
 * position and a personal one at a 代表 position, and chain to a trusted root
 * (the 监管系统 and the mall trust the mobile CA alongside the USB-key CAs).
 */
import { randomUUID, type X509Certificate } from 'node:crypto';
import type Database from 'better-sqlite3';
import { keyAlgorithmOf, subjectField, verifyDetachedCms, type TrustStore } from './cms/verify-cms.js';
import { MallError, type Contracts } from './contracts.js';
import type { UserRow } from './db.js';
import { POSITION_LABEL, POSITION_RECT, SEAL_POSITIONS, type SealPosition } from './pdf/contract-pdf.js';
import { embedCms, prepareSeal } from './pdf/seal-writer.js';
import { requiredTrustedTime } from './sealing.js';

const fingerprint = (cert: X509Certificate): string => cert.fingerprint256.replace(/:/g, '').toLowerCase();
const partyOf = (p: SealPosition): 'supplier' | 'buyer' => (p.startsWith('supplier') ? 'supplier' : 'buyer');
/** Marks a pending seal whose signer is not known yet. */
const MOBILE = 'mobile';

export class MobileSealing {
  /** `tsaRoots` non-empty: a phone's seal must carry a valid trusted time-stamp too (PAdES B-T), as a USB key's does. */
  constructor(private readonly db: Database.Database, private readonly contracts: Contracts, private readonly trust: TrustStore, private readonly sealable: (contractId: number, user: UserRow, position: SealPosition) => void,
    private readonly tsaRoots: X509Certificate[] = []) {}

  /** The seal revision with the appearance the page drew and a signature placeholder; the hash for sign.mobile. */
  prepare(contractId: number, user: UserRow, input: { position?: unknown; image?: unknown; widthMm?: unknown; heightMm?: unknown }): { pendingId: string; hash: string; hashAlgorithm: 'sha256'; sealKind: 'organization' | 'personal'; documentName: string; timestamp: boolean } {
    const position = input.position as SealPosition;
    if (!SEAL_POSITIONS.includes(position)) throw new MallError(400, '签章位置无效');
    this.sealable(contractId, user, position);
    if (this.contracts.seals(contractId).some((s) => s.position === position)) throw new MallError(409, `${POSITION_LABEL[position]}位置已盖章，如需重盖请先删除`);
    const png = Buffer.from(String(input.image ?? ''), 'base64');
    if (png.subarray(1, 4).toString('latin1') !== 'PNG') throw new MallError(400, '印章图片须为 PNG');
    const mm = (v: unknown): number | undefined => (typeof v === 'number' && v > 0 && v < 100 ? v : undefined);
    const c = this.contracts.get(contractId);
    const f = this.contracts.fields(c);
    const pdf = c.pdf as Buffer;
    const prepared = prepareSeal(pdf, {
      fieldName: POSITION_LABEL[position], rect: POSITION_RECT[position], reason: `${f.title} ${f.contractNo} ${POSITION_LABEL[position]}（公采签）`,
      signerName: user.name, image: { png, widthMm: mm(input.widthMm), heightMm: mm(input.heightMm) }, hashAlgorithm: 'sha256',
    });
    const pendingId = randomUUID();
    this.db.prepare('DELETE FROM pending_seals WHERE contract_id = ? AND position = ?').run(contractId, position);
    this.db.prepare(`INSERT INTO pending_seals (id, contract_id, position, fingerprint, signer, key_algorithm, pdf, byte_range, hash, hash_algorithm, length_before, created_at)
      VALUES (?, ?, ?, ?, '', '', ?, ?, ?, 'sha256', ?, ?)`).run(pendingId, contractId, position, MOBILE, prepared.pdf, JSON.stringify(prepared.byteRange),
      prepared.hash.toString('base64'), pdf.length, new Date().toISOString());
    return { pendingId, hash: prepared.hash.toString('base64'), hashAlgorithm: 'sha256', sealKind: position.endsWith('person') ? 'personal' : 'organization', documentName: `${f.title}（${f.contractNo}）.pdf`, timestamp: this.tsaRoots.length > 0 };
  }

  /** Embeds the phone's CMS after checking it signs this hash with a trusted certificate of this unit, of the right kind. */
  async complete(contractId: number, user: UserRow, input: { pendingId?: unknown; signature?: unknown }): Promise<void> {
    const p = this.db.prepare('SELECT * FROM pending_seals WHERE id = ? AND contract_id = ? AND fingerprint = ?').get(String(input.pendingId), contractId, MOBILE) as Record<string, unknown> | undefined;
    if (!p) throw new MallError(404, '签章请求已失效，请重新签章');
    const position = p.position as SealPosition;
    this.sealable(contractId, user, position);
    const c = this.contracts.get(contractId);
    if ((c.pdf as Buffer).length !== p.length_before) throw new MallError(409, '合同已变化，请重新签章');
    const cms = Buffer.from(String(input.signature ?? ''), 'base64');
    const v = verifyDetachedCms(cms, { digest: Buffer.from(p.hash as string, 'base64'), algorithm: 'sha256' }, this.trust);
    if (!v.valid || !v.signer) throw new MallError(400, `签名验证失败：${v.problems.join('；') || '签名无效'}`);
    const org = subjectField(v.signer, 'O');
    const cn = subjectField(v.signer, 'CN') ?? '';
    if (org !== user.org) throw new MallError(400, `签名证书属于“${org ?? '未知单位'}”，不是本单位（${user.org}）的证书`);
    const company = !position.endsWith('person');
    if (company !== (cn === org)) throw new MallError(400, company ? '公章位置请选择单位公章' : '代表位置请选择个人签章');
    const trustedTime = await requiredTrustedTime(cms, this.tsaRoots, v.signer);
    if ((this.contracts.get(contractId).pdf as Buffer).length !== p.length_before) throw new MallError(409, '合同已变化，请重新签章');
    const pdf = embedCms({ pdf: p.pdf as Buffer, byteRange: JSON.parse(p.byte_range as string) as [number, number, number, number] }, cms);
    const seq = (this.contracts.seals(contractId).at(-1)?.seq ?? 0) + 1;
    this.db.transaction(() => {
      this.db.prepare('UPDATE contracts SET pdf = ?, updated_at = ? WHERE id = ?').run(pdf, new Date().toISOString(), contractId);
      this.db.prepare('INSERT INTO seals (contract_id, seq, position, party, fingerprint, signer, key_algorithm, length_before, created_at, trusted_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(contractId, seq, position, partyOf(position), fingerprint(v.signer as X509Certificate), cn, `${keyAlgorithmOf(v.signer as X509Certificate)}`, p.length_before, new Date().toISOString(), trustedTime);
      this.db.prepare('DELETE FROM pending_seals WHERE id = ?').run(p.id);
    })();
    this.contracts.log(contractId, user, `在${POSITION_LABEL[position]}位置盖章（${cn}，公采签）`);
  }
}
