/**
 * The manual's contract flow as a state machine over the database:
 * 起草合同 → 保存/发送 → (采购人) 确认 | 退回合同到草稿 | 修改 → 线上签章? 否: 备案 / 是: 待盖章
 * → 供应商签章, 发送 → 供应商已盖章 → 采购人签章, 确认签章 → 监管系统备案.
 */
import type Database from 'better-sqlite3';
import { renderContractPdf, type ContractFields } from './pdf/contract-pdf.js';
import { STATE_LABEL, type ContractRow, type ContractState, type SealRow, type UserRow } from './db.js';
import { yuan } from './format.js';

/** A refusal the page shows as is (Chinese). */
export class MallError extends Error {
  override name = 'MallError';
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export const PAYMENT_METHODS = ['国库集中支付', '银行转账', '公务卡'] as const;
const FIELD_KEYS: ReadonlyArray<keyof ContractFields> = ['contractNo', 'title', 'buyerName', 'supplierName', 'goods', 'amount', 'deliveryPlace', 'deliveryDate', 'terms'];
const AMOUNT = /^\d{1,12}(\.\d{1,2})?$/;
/** Longest reason for sending a contract back, characters. */
export const MAX_REASON_CHARS = 500;

/** The contract's file name, as the PDF download and the assistant's dialog both call it. */
export function documentName(f: Pick<ContractFields, 'title' | 'contractNo'>): string {
  return `${f.title}（${f.contractNo}）.pdf`;
}

/** An optional reason from a request body: trimmed, at most MAX_REASON_CHARS, null when empty. */
function reasonOf(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw new MallError(400, '退回原因格式不正确');
  const text = value.trim();
  if (text.length > MAX_REASON_CHARS) throw new MallError(400, `退回原因不能超过 ${MAX_REASON_CHARS} 字`);
  return text || null;
}

export interface Filer {
  /** Pushes to the 监管系统; resolves with the filing id or rejects with the receiver's reason. */
  file(contract: ContractRow, fields: ContractFields, attachments: Array<{ name: string; mime: string; data: Buffer }>): Promise<number>;
}

export class Contracts {
  constructor(private readonly db: Database.Database, private readonly filer: Filer) {}

  get(id: number): ContractRow {
    const row = this.db.prepare('SELECT * FROM contracts WHERE id = ?').get(id) as ContractRow | undefined;
    if (!row) throw new MallError(404, '合同不存在');
    return row;
  }

  fields(c: ContractRow): ContractFields {
    return JSON.parse(c.fields) as ContractFields;
  }

  seals(id: number): SealRow[] {
    return this.db.prepare('SELECT * FROM seals WHERE contract_id = ? ORDER BY seq').all(id) as SealRow[];
  }

  log(id: number, user: UserRow, action: string): void {
    this.db.prepare('INSERT INTO history (contract_id, time, actor, action) VALUES (?, ?, ?, ?)').run(id, new Date().toISOString(), user.name, action);
  }

  private setState(id: number, state: ContractState, extra: Partial<Pick<ContractRow, 'pdf' | 'filing_id' | 'filing_reason' | 'payment_method' | 'payment_amount' | 'online' | 'fields' | 'returned' | 'return_reason'>> = {}): void {
    const sets = ['state = @state', 'updated_at = @now', ...Object.keys(extra).map((k) => `${k} = @${k}`)];
    this.db.prepare(`UPDATE contracts SET ${sets.join(', ')} WHERE id = @id`).run({ id, state, now: new Date().toISOString(), ...extra });
  }

  private expect(c: ContractRow, user: UserRow, role: UserRow['role'], states: ContractState[]): void {
    if (user.role !== role) throw new MallError(403, role === 'supplier' ? '只有供应商可以进行此操作' : '只有采购人可以进行此操作');
    if (!states.includes(c.state)) throw new MallError(409, `合同当前状态为“${STATE_LABEL[c.state]}”，不能进行此操作`);
  }

  /** 【起草合同】 from an order the supplier confirmed. */
  draft(orderId: number, user: UserRow): number {
    if (user.role !== 'supplier') throw new MallError(403, '只有供应商可以起草合同');
    const order = this.db.prepare('SELECT * FROM orders WHERE id = ? AND supplier_org = ?').get(orderId, user.org) as Record<string, string> | undefined;
    if (!order) throw new MallError(404, '订单不存在');
    const existing = this.db.prepare('SELECT id FROM contracts WHERE order_id = ?').get(orderId) as { id: number } | undefined;
    if (existing) return existing.id;
    const fields: ContractFields = {
      contractNo: `HT-${order.order_no}`, title: '政府采购合同', buyerName: order.buyer_org ?? '', supplierName: order.supplier_org ?? '',
      goods: order.goods ?? '', amount: order.amount ?? '', deliveryPlace: '', deliveryDate: '', terms: '',
    };
    const r = this.db.prepare('INSERT INTO contracts (order_id, state, fields, updated_at) VALUES (?, ?, ?, ?)').run(orderId, 'draft', JSON.stringify(fields), new Date().toISOString());
    const id = Number(r.lastInsertRowid);
    this.log(id, user, '起草合同');
    return id;
  }

  /**
   * 【保存】 by the supplier in 草稿, or 【修改】 by the buyer in 待确认: the contract
   * becomes a draft again, marked 已退回 with the buyer's optional reason.
   */
  save(id: number, user: UserRow, input: Partial<ContractFields>, reasonInput?: unknown): void {
    const c = this.get(id);
    if (user.role === 'supplier') this.expect(c, user, 'supplier', ['draft']);
    else this.expect(c, user, 'buyer', ['pending_confirm']);
    const fields = { ...this.fields(c) };
    for (const key of FIELD_KEYS) {
      const v = input[key];
      if (typeof v === 'string') fields[key] = v.trim().slice(0, 2000);
    }
    if (!AMOUNT.test(fields.amount.replace(/,/g, ''))) throw new MallError(400, '合同金额格式不正确（最多两位小数）');
    if (user.role === 'supplier') {
      this.setState(id, 'draft', { fields: JSON.stringify(fields) });
      this.log(id, user, '保存合同');
      return;
    }
    const reason = reasonOf(reasonInput);
    this.setState(id, 'draft', { fields: JSON.stringify(fields), returned: 1, return_reason: reason });
    this.log(id, user, `修改合同（合同变为草稿，需供应商重新发送）${reason ? `，原因：${reason}` : ''}`);
  }

  /** 【发送】 the draft to the buyer. */
  send(id: number, user: UserRow): void {
    const c = this.get(id);
    this.expect(c, user, 'supplier', ['draft']);
    const f = this.fields(c);
    const missing = FIELD_KEYS.filter((k) => !f[k]);
    if (missing.length) throw new MallError(400, '合同内容未填写完整，请填写交货地点、交货日期和合同条款后再发送');
    this.setState(id, 'pending_confirm', { returned: 0, return_reason: null });
    this.log(id, user, '发送合同给采购人');
  }

  /** 【退回合同到草稿】 with an optional reason the supplier sees; the draft shows as 已退回. */
  returnToDraft(id: number, user: UserRow, reasonInput?: unknown): void {
    this.expect(this.get(id), user, 'buyer', ['pending_confirm']);
    const reason = reasonOf(reasonInput);
    this.setState(id, 'draft', { returned: 1, return_reason: reason });
    this.log(id, user, `退回合同到草稿${reason ? `，原因：${reason}` : ''}`);
  }

  addAttachment(id: number, user: UserRow, a: { name: string; mime: string; data: Buffer }): void {
    this.expect(this.get(id), user, 'buyer', ['pending_confirm']);
    if (a.data.length === 0 || a.data.length > 10 * 1024 * 1024) throw new MallError(400, '附件不能为空，且不能超过 10 MB');
    this.db.prepare('INSERT INTO attachments (contract_id, name, mime, data) VALUES (?, ?, ?, ?)').run(id, a.name.slice(0, 200), a.mime.slice(0, 100), a.data);
    this.log(id, user, `上传附件 ${a.name}`);
  }

  /** Removes an attachment the buyer uploaded, before 确认. */
  removeAttachment(id: number, user: UserRow, attachmentId: number): string {
    this.expect(this.get(id), user, 'buyer', ['pending_confirm']);
    const a = this.attachment(id, attachmentId);
    this.db.prepare('DELETE FROM attachments WHERE id = ? AND contract_id = ?').run(attachmentId, id);
    this.log(id, user, `删除附件 ${a.name}`);
    return a.name;
  }

  /** One attachment of the contract. */
  attachment(id: number, attachmentId: number): { id: number; name: string; mime: string; data: Buffer } {
    const a = this.db.prepare('SELECT id, name, mime, data FROM attachments WHERE id = ? AND contract_id = ?').get(attachmentId, id) as { id: number; name: string; mime: string; data: Buffer } | undefined;
    if (!a) throw new MallError(404, '附件不存在');
    return a;
  }

  attachments(id: number): Array<{ id: number; name: string; mime: string; data: Buffer }> {
    return this.db.prepare('SELECT id, name, mime, data FROM attachments WHERE contract_id = ? ORDER BY id').all(id) as Array<{ id: number; name: string; mime: string; data: Buffer }>;
  }

  /** 【确认】 with payment method and amount, then 线上签章? 是 → 待盖章; 否 → 监管系统备案 at once. */
  async confirm(id: number, user: UserRow, input: { paymentMethod?: unknown; paymentAmount?: unknown; online?: unknown }): Promise<void> {
    const c = this.get(id);
    this.expect(c, user, 'buyer', ['pending_confirm']);
    const f = this.fields(c);
    if (!PAYMENT_METHODS.includes(input.paymentMethod as (typeof PAYMENT_METHODS)[number])) throw new MallError(400, '请选择支付方式');
    const amount = String(input.paymentAmount ?? '').trim();
    if (!AMOUNT.test(amount) || Number(amount) <= 0) throw new MallError(400, '请填写正确的支付金额（大于 0，最多两位小数）');
    if (Number(amount) > Number(f.amount.replace(/,/g, ''))) throw new MallError(400, `支付金额不能超过合同金额 ${yuan(f.amount)} 元`);
    if (typeof input.online !== 'boolean') throw new MallError(400, '请选择是否线上签章');
    const pdf = await renderContractPdf(f);
    const payment = { payment_method: input.paymentMethod as string, payment_amount: amount, online: input.online ? 1 : 0, pdf };
    if (input.online) {
      this.setState(id, 'pending_seal', payment);
      this.log(id, user, `确认合同（${payment.payment_method} ${yuan(amount)} 元），选择线上签章`);
      return;
    }
    const filingId = await this.fileOrThrow({ ...c, ...payment }, f);
    this.setState(id, 'filed', { ...payment, filing_id: filingId, filing_reason: null });
    this.log(id, user, `确认合同（${payment.payment_method} ${yuan(amount)} 元），线下盖章，已推送监管系统备案`);
  }

  private async fileOrThrow(c: ContractRow, f: ContractFields): Promise<number> {
    try {
      return await this.filer.file(c, f, this.attachments(c.id));
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      this.db.prepare('UPDATE contracts SET filing_reason = ? WHERE id = ?').run(reason, c.id);
      throw new MallError(502, `监管系统拒绝备案：${reason}`);
    }
  }

  /** Supplier 【发送】 after sealing: nothing changes afterwards. */
  sendSealed(id: number, user: UserRow): void {
    const c = this.get(id);
    this.expect(c, user, 'supplier', ['pending_seal']);
    if (!this.seals(id).some((s) => s.position === 'supplier-company')) throw new MallError(409, '请先在乙方公章位置加盖单位公章');
    this.setState(id, 'supplier_sealed');
    this.log(id, user, '签章完成，发送给采购人');
  }

  /** Buyer 【确认签章】: the flow ends and the contract goes to the 监管系统. */
  async confirmSeals(id: number, user: UserRow): Promise<void> {
    const c = this.get(id);
    this.expect(c, user, 'buyer', ['supplier_sealed']);
    if (!this.seals(id).some((s) => s.position === 'buyer-company')) throw new MallError(409, '请先在甲方公章位置加盖单位公章');
    const filingId = await this.fileOrThrow(c, this.fields(c));
    this.setState(id, 'filed', { filing_id: filingId, filing_reason: null });
    this.log(id, user, '确认签章，合同已推送监管系统备案');
  }
}
