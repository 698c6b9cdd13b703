/**
 * 监管系统 (supervision system) stand-in: a separate HTTP service with its
 * own SQLite file. It files a contract only when every signature verifies
 * (RSA/ECDSA with SHA-2, or 国密 SM2 with SM3), chains to its configured
 * roots, and the supplier sealed before the buyer;
 * anything else is rejected with the reason in Chinese.
 *
 *   POST /filings  {contractNo, mode:"online"|"offline", supplierName, buyerName, pdf, attachments?:[{name,mime,data}]}
 *                  → 201 {accepted:true, filingId} | 422 {accepted:false, reason}
 *   GET  /filings  → {filings:[{id, contractNo, mode, status, reason, signatures, receivedAt}]}
 *                  (a browser asking for HTML gets the same as a Chinese page; `?format=json` forces JSON)
 *   GET  /filings/:id/pdf
 *   GET  /filings/:id/attachments/:n   (n from 0, in upload order)
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import type { X509Certificate } from 'node:crypto';
import { checkSealTimestamp, type SealTimestamp } from '../cms/timestamp.js';
import { parseCertificates, type TrustStore } from '../cms/verify-cms.js';
import { renderFilingsPage, type FilingView } from './filings-page.js';
import { verifyPdfSignatures, type PdfSignatureCheck } from './verify-pdf.js';

/** Largest filing accepted, bytes of JSON (a PDF plus scanned attachments, base64). */
export const MAX_FILING_BYTES = 40 * 1024 * 1024;

export interface ReceiverOptions {
  /** 0 picks a free port. */
  port: number;
  dbFile: string;
  /** PEM/DER files. */
  trustAnchors: string[];
  intermediates?: string[];
  /** Roots of trusted time-stamping authorities; when given, every seal must carry a valid time-stamp (PAdES B-T). */
  tsaAnchors?: string[];
}

export interface RunningReceiver {
  url: string;
  close(): Promise<void>;
}

export interface Filing {
  contractNo: string;
  mode: 'online' | 'offline';
  supplierName: string;
  buyerName: string;
  /** base64 */
  pdf: string;
  attachments?: Array<{ name: string; mime: string; data: string }>;
}

/** Each seal's time-stamp; with `tsaRoots` empty nothing is required, and a token present is still checked against none (untrusted). */
async function timestampsOf(checks: PdfSignatureCheck[], tsaRoots: X509Certificate[]): Promise<SealTimestamp[]> {
  return Promise.all(checks.map((c) => (c.cms ? checkSealTimestamp(c.cms, tsaRoots, c.signer) : { present: false, valid: false })));
}

/** Why a filing is refused, or undefined when it is acceptable. `required`: every seal needs a valid trusted time-stamp. */
export function judgeFiling(f: Filing, pdf: Buffer, checks: PdfSignatureCheck[], stamps: SealTimestamp[] = [], required = false): string | undefined {
  const bad = checks.find((c) => !c.valid);
  if (bad) return `第 ${checks.indexOf(bad) + 1} 个签章验证失败：${bad.problems.join('；')}`;
  const badStamp = stamps.findIndex((s) => (s.present || required) && !s.valid);
  if (badStamp >= 0) return `第 ${badStamp + 1} 个签章的可信时间戳验证失败：${stamps[badStamp]?.problem ?? '时间戳无效'}`;
  if (f.mode === 'offline') return undefined;
  if (checks.length === 0) return '合同未签章';
  const party = checks.map((c) => (c.organization === f.supplierName ? 'supplier' : c.organization === f.buyerName ? 'buyer' : 'other'));
  const stranger = party.indexOf('other');
  if (stranger >= 0) return `第 ${stranger + 1} 个签章的签章人（${checks[stranger]?.organization ?? '未知'}）不是合同当事人`;
  if (!party.includes('supplier')) return '缺少供应商（乙方）签章';
  if (!party.includes('buyer')) return '缺少采购人（甲方）签章';
  if (party.lastIndexOf('supplier') > party.indexOf('buyer')) return '签章顺序错误：应由供应商先签章，采购人后签章';
  if (!checks[checks.length - 1]?.coversWholeDocument || checks.at(-1)?.revisionEnd !== pdf.length) return '最后一个签章之后文档又被追加了内容';
  return undefined;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (d: Buffer) => {
      size += d.length;
      if (size > MAX_FILING_BYTES) req.destroy(new Error('too large'));
      else parts.push(d);
    });
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

/** Starts the receiver; its database is its own, never the mall's. */
export async function startReceiver(opts: ReceiverOptions): Promise<RunningReceiver> {
  const tsaRoots = (opts.tsaAnchors ?? []).flatMap((f) => parseCertificates(readFileSync(f)));
  const trust: TrustStore = {
    anchors: opts.trustAnchors.flatMap((f) => parseCertificates(readFileSync(f))),
    intermediates: (opts.intermediates ?? []).flatMap((f) => parseCertificates(readFileSync(f))),
  };
  const db = new Database(opts.dbFile);
  db.pragma('journal_mode = WAL');
  db.exec(`CREATE TABLE IF NOT EXISTS filings (
    id INTEGER PRIMARY KEY, contract_no TEXT NOT NULL, mode TEXT NOT NULL, status TEXT NOT NULL, reason TEXT,
    supplier TEXT, buyer TEXT, signatures TEXT NOT NULL, pdf BLOB NOT NULL, attachments TEXT NOT NULL, received_at TEXT NOT NULL)`);
  db.exec(`CREATE TABLE IF NOT EXISTS filing_attachments (
    filing_id INTEGER NOT NULL REFERENCES filings(id), seq INTEGER NOT NULL, name TEXT NOT NULL, mime TEXT NOT NULL, data BLOB NOT NULL,
    PRIMARY KEY (filing_id, seq))`);
  const insertAttachment = db.prepare('INSERT INTO filing_attachments (filing_id, seq, name, mime, data) VALUES (?, ?, ?, ?, ?)');
  const insert = db.prepare(`INSERT INTO filings (contract_no, mode, status, reason, supplier, buyer, signatures, pdf, attachments, received_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);

  const file = async (f: Filing): Promise<{ status: number; body: unknown }> => {
    if (typeof f?.contractNo !== 'string' || typeof f.pdf !== 'string' || (f.mode !== 'online' && f.mode !== 'offline')) {
      return { status: 400, body: { accepted: false, reason: '备案数据不完整' } };
    }
    const pdf = Buffer.from(f.pdf, 'base64');
    const checks = verifyPdfSignatures(pdf, trust);
    const stamps = await timestampsOf(checks, tsaRoots);
    const reason = pdf.subarray(0, 5).toString('latin1') !== '%PDF-' ? '合同文件不是 PDF' : judgeFiling(f, pdf, checks, stamps, tsaRoots.length > 0);
    const signatures = checks.map((c, i) => ({
      organization: c.organization, commonName: c.commonName, keyAlgorithm: c.keyAlgorithm, digestAlgorithm: c.digestAlgorithm,
      valid: c.valid, signingTime: c.signingTime, coversWholeDocument: c.coversWholeDocument,
      ...(stamps[i]?.valid ? { trustedTime: stamps[i]?.time?.toISOString() } : {}),
      ...(stamps[i]?.present ? { timestampValid: stamps[i]?.valid } : {}),
    }));
    const files = (f.attachments ?? []).map((a) => ({ name: String(a.name), mime: String(a.mime), data: Buffer.from(String(a.data), 'base64') }));
    const attachments = files.map((a) => ({ name: a.name, mime: a.mime, size: a.data.length }));
    // The scanned offline-sealed contract is part of the record, so its bytes are kept, not just its name.
    const filingId = db.transaction(() => {
      const row = insert.run(f.contractNo, f.mode, reason ? 'rejected' : 'accepted', reason ?? null, f.supplierName, f.buyerName,
        JSON.stringify(signatures), pdf, JSON.stringify(attachments), new Date().toISOString());
      const id = Number(row.lastInsertRowid);
      files.forEach((a, i) => insertAttachment.run(id, i, a.name, a.mime, a.data));
      return id;
    })();
    return reason ? { status: 422, body: { accepted: false, filingId, reason } } : { status: 201, body: { accepted: true, filingId, signatures } };
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://receiver');
      if (req.method === 'POST' && url.pathname === '/filings') {
        let filing: Filing;
        try {
          filing = JSON.parse((await readBody(req)).toString('utf8')) as Filing;
        } catch {
          return send(res, 400, { accepted: false, reason: '备案数据不是有效的 JSON' });
        }
        const r = await file(filing);
        return send(res, r.status, r.body);
      }
      if (req.method === 'GET' && url.pathname === '/filings') {
        const rows = db.prepare('SELECT id, contract_no, mode, status, reason, signatures, attachments, received_at FROM filings ORDER BY id').all() as Array<Record<string, string>>;
        const filings = rows.map((r) => ({ id: Number(r.id), contractNo: r.contract_no, mode: r.mode, status: r.status, reason: r.reason ?? null, signatures: JSON.parse(r.signatures ?? '[]'), attachments: JSON.parse(r.attachments ?? '[]'), receivedAt: r.received_at })) as FilingView[];
        if (url.searchParams.get('format') !== 'json' && (req.headers.accept ?? '').includes('text/html')) {
          res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
          return res.end(renderFilingsPage(filings));
        }
        return send(res, 200, { filings });
      }
      const pdfMatch = /^\/filings\/(\d+)\/pdf$/.exec(url.pathname);
      if (req.method === 'GET' && pdfMatch) {
        const row = db.prepare('SELECT pdf FROM filings WHERE id = ?').get(Number(pdfMatch[1])) as { pdf: Buffer } | undefined;
        if (!row) return send(res, 404, { reason: '没有这条备案' });
        res.writeHead(200, { 'content-type': 'application/pdf' });
        return res.end(row.pdf);
      }
      const attachmentMatch = /^\/filings\/(\d+)\/attachments\/(\d+)$/.exec(url.pathname);
      if (req.method === 'GET' && attachmentMatch) {
        const row = db.prepare('SELECT mime, data FROM filing_attachments WHERE filing_id = ? AND seq = ?').get(Number(attachmentMatch[1]), Number(attachmentMatch[2])) as { mime: string; data: Buffer } | undefined;
        if (!row) return send(res, 404, { reason: '没有这个附件' });
        res.writeHead(200, { 'content-type': row.mime, 'x-content-type-options': 'nosniff', 'content-disposition': 'attachment' });
        return res.end(row.data);
      }
      send(res, 404, { reason: '没有这个接口' });
    })().catch(() => send(res, 500, { accepted: false, reason: '监管系统内部错误' }));
  });
  await new Promise<void>((resolve) => server.listen(opts.port, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      db.close();
    },
  };
}
