/**
 * The reference mall: a Node HTTP server with SQLite, pages that use only the
 * SDK, and (unless given a URL) its own 监管系统 receiver on another port.
 *
 *   node bin/run-ts.mjs examples/mall/server.ts --port 8080 --assistant ws://127.0.0.1:21518/ \
 *     --data DIR --trust-anchor ROOT.pem --intermediate INTER.pem [--receiver-port N] [--downloads DIR]
 *
 * In development the SDK is built from sdk/ at startup (sdk/build.ts); a
 * production mall would serve the published ca-assistant-sdk.js instead.
 */
import { execFile } from 'node:child_process';
import { createReadStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { buildSdk } from '../../sdk/build.js';
import { parseCertificates, type TrustStore } from './cms/verify-cms.js';
import { Contracts, MallError, PAYMENT_METHODS, documentName, type Filer } from './contracts.js';
import { DEMO_USERS, STATE_LABEL, openDb, stateLabel, type UserRow } from './db.js';
import { assistantVersion, installerPath, listInstallers } from './downloads.js';
import { POSITION_LABEL, type SealPosition } from './pdf/contract-pdf.js';
import { startReceiver, type RunningReceiver } from './receiver/receiver.js';
import { MobileSealing } from './mobile-sealing.js';
import { Sealing } from './sealing.js';

/** Largest request body, bytes (attachments arrive base64 in JSON). */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;
const PAGES = join(import.meta.dirname, 'pages');
const STATIC: Record<string, [string, string]> = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/app.js': ['app.js', 'text/javascript; charset=utf-8'],
  '/mobile-seal.js': ['mobile-seal.js', 'text/javascript; charset=utf-8'],
  '/kit.js': ['kit.js', 'text/javascript; charset=utf-8'],
  '/guide.js': ['guide.js', 'text/javascript; charset=utf-8'],
  '/style.css': ['style.css', 'text/css; charset=utf-8'],
};

export interface MallOptions {
  /** 0 picks a free port. */
  port: number;
  host?: string;
  /** Where the SQLite files live. */
  dataDir: string;
  /** The assistant's WebSocket URL the pages connect to. */
  assistantUrl: string;
  trustAnchors: string[];
  intermediates?: string[];
  /** A running 监管系统; default: start one on a free port with its own database in dataDir. */
  receiverUrl?: string;
  /**
   * Roots of the time-stamping authorities trusted for seals' trusted time (PEM/DER files).
   * When given, every seal must carry a valid RFC 3161 time-stamp (PAdES B-T): the page asks the
   * assistant for one, and the mall and the 监管系统 check it.
   */
  tsaAnchors?: string[];
  /**
   * Origins the pages are also served under, e.g. `https://mall.example.cn` behind a TLS proxy: a
   * certificate login's signed challenge may name them as well as the mall's own loopback URLs.
   */
  publicOrigins?: string[];
  /** Port of the receiver the mall starts (default 0: a free one). */
  receiverPort?: number;
  /** Folder holding the assistant's installers for 【工具下载】 (the build's `release/`); absent: listed as not yet available. */
  downloadsDir?: string;
}

export interface RunningMall {
  url: string;
  receiverUrl: string;
  close(): Promise<void>;
}

function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolvePromise, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (d: Buffer) => {
      size += d.length;
      if (size > MAX_BODY_BYTES) req.destroy(new MallError(413, '上传内容过大'));
      else parts.push(d);
    });
    req.on('end', () => {
      try {
        resolvePromise(parts.length ? (JSON.parse(Buffer.concat(parts).toString('utf8')) as Record<string, unknown>) : {});
      } catch {
        reject(new MallError(400, '请求数据格式错误'));
      }
    });
    req.on('error', reject);
  });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

/** Starts the mall (and its receiver unless `receiverUrl` is given). */
export async function startMall(opts: MallOptions): Promise<RunningMall> {
  mkdirSync(opts.dataDir, { recursive: true });
  const sdkDir = mkdtempSync(join(tmpdir(), 'mall-sdk-'));
  const sdk = readFileSync((await buildSdk(sdkDir)).js);
  rmSync(sdkDir, { recursive: true, force: true });
  const trust: TrustStore = {
    anchors: opts.trustAnchors.flatMap((f) => parseCertificates(readFileSync(f))),
    intermediates: (opts.intermediates ?? []).flatMap((f) => parseCertificates(readFileSync(f))),
  };
  let receiver: RunningReceiver | undefined;
  if (!opts.receiverUrl) {
    receiver = await startReceiver({ port: opts.receiverPort ?? 0, dbFile: join(opts.dataDir, 'supervision.sqlite'), trustAnchors: opts.trustAnchors, intermediates: opts.intermediates ?? [], tsaAnchors: opts.tsaAnchors ?? [] });
  }
  const receiverUrl = opts.receiverUrl ?? (receiver as RunningReceiver).url;
  const db = openDb(join(opts.dataDir, 'mall.sqlite'));
  const filer: Filer = {
    async file(c, f, attachments) {
      const res = await fetch(`${receiverUrl}/filings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          contractNo: f.contractNo, mode: c.online ? 'online' : 'offline', supplierName: f.supplierName, buyerName: f.buyerName,
          pdf: (c.pdf as Buffer).toString('base64'), attachments: attachments.map((a) => ({ name: a.name, mime: a.mime, data: a.data.toString('base64') })),
        }),
      }).catch(() => undefined);
      if (!res) throw new Error('监管系统暂时无法连接，请稍后重试');
      const body = (await res.json()) as { accepted?: boolean; filingId?: number; reason?: string };
      if (!body.accepted) throw new Error(body.reason ?? '未说明原因');
      return body.filingId as number;
    },
  };
  const contracts = new Contracts(db, filer);
  let origins: string[] = [];
  const tsaRoots = (opts.tsaAnchors ?? []).flatMap((f) => parseCertificates(readFileSync(f)));
  const sealing = new Sealing(db, contracts, trust, () => origins, tsaRoots);
  const mobileSealing = new MobileSealing(db, contracts, trust, (id, user, position) => sealing.sealableBy(id, user, position), tsaRoots);
  const users = new Map(DEMO_USERS.map((u) => [u.id, u]));

  const me = (req: IncomingMessage): UserRow => {
    const id = /(?:^|;\s*)mall_user=([\w-]+)/.exec(req.headers.cookie ?? '')?.[1] ?? 'supplier';
    return users.get(id) ?? (users.get('supplier') as UserRow);
  };

  const visible = (user: UserRow): string => (user.role === 'supplier' ? 'o.supplier_org' : 'o.buyer_org');

  const detail = (id: number, user: UserRow): unknown => {
    const c = contracts.get(id);
    const order = db.prepare(`SELECT o.* FROM orders o WHERE o.id = ? AND ${visible(user)} = ?`).get(c.order_id, user.org) as Record<string, string> | undefined;
    if (!order) throw new MallError(404, '合同不存在');
    if (user.role === 'buyer' && c.state === 'draft') throw new MallError(404, '合同尚未发送');
    return {
      id: c.id, orderNo: order.order_no, state: c.state, stateLabel: stateLabel(c), returned: c.returned === 1, returnReason: c.return_reason,
      documentName: documentName(contracts.fields(c)), fields: contracts.fields(c), paymentMethod: c.payment_method,
      paymentAmount: c.payment_amount, online: c.online === null ? null : c.online === 1, hasPdf: c.pdf !== null, pdfLength: c.pdf?.length ?? 0,
      filingId: c.filing_id, filingReason: c.filing_reason,
      // Deleting a seal truncates the PDF to the revision before it: every later seal goes too (alsoRemoves).
      seals: contracts.seals(id).map((s, _i, all) => ({
        id: s.id, position: s.position, label: POSITION_LABEL[s.position as SealPosition], party: s.party, signer: s.signer, keyAlgorithm: s.key_algorithm, time: s.created_at,
        ...(s.trusted_time ? { trustedTime: s.trusted_time } : {}),
        alsoRemoves: all.filter((x) => x.seq > s.seq).map((x) => POSITION_LABEL[x.position as SealPosition]),
      })),
      attachments: contracts.attachments(id).map((a) => ({ id: a.id, name: a.name, size: a.data.length, url: `/api/contracts/${id}/attachments/${a.id}` })),
      history: db.prepare('SELECT time, actor, action FROM history WHERE contract_id = ? ORDER BY id').all(id),
    };
  };

  /** After an action: the detail, or just the state when the action moved the contract out of this user's sight. */
  const after = (id: number, user: UserRow): unknown => {
    const c = contracts.get(id);
    return user.role === 'buyer' && c.state === 'draft' ? { id, state: c.state, stateLabel: stateLabel(c) } : detail(id, user);
  };

  const routes: Array<[string, RegExp, (req: IncomingMessage, res: ServerResponse, m: RegExpExecArray, user: UserRow) => Promise<unknown>]> = [
    ['GET', /^\/api\/session$/, async (_q, _s, _m, user) => ({ me: user, users: DEMO_USERS, assistantUrl: opts.assistantUrl, paymentMethods: PAYMENT_METHODS, binding: sealing.binding(user) ?? null })],
    ['POST', /^\/api\/session$/, async (req, res) => {
      const { userId } = await readJson(req);
      const user = users.get(String(userId));
      if (!user) throw new MallError(400, '没有这个用户');
      res.setHeader('set-cookie', `mall_user=${user.id}; Path=/; HttpOnly; SameSite=Strict`);
      return { me: user };
    }],
    ['GET', /^\/api\/orders$/, async (_q, _s, _m, user) => ({
      orders: db.prepare(`SELECT o.id, o.order_no AS orderNo, o.goods, o.amount, o.status, o.buyer_org AS buyer, o.supplier_org AS supplier, c.id AS contractId, c.state, c.returned
        FROM orders o LEFT JOIN contracts c ON c.order_id = o.id WHERE ${visible(user)} = ? ORDER BY o.id`).all(user.org)
        .map((o) => {
          const row = o as Record<string, unknown> & { state: keyof typeof STATE_LABEL | null; returned: number | null };
          return { ...row, stateLabel: row.state ? stateLabel({ state: row.state, returned: row.returned ?? 0 }) : null };
        }),
    })],
    ['POST', /^\/api\/orders\/(\d+)\/contract$/, async (_q, _s, m, user) => ({ id: contracts.draft(Number(m[1]), user) })],
    ['GET', /^\/api\/contracts$/, async (req, _s, _m, user) => {
      const state = new URL(req.url ?? '/', 'http://x').searchParams.get('state');
      const rows = db.prepare(`SELECT c.id FROM contracts c JOIN orders o ON o.id = c.order_id WHERE ${visible(user)} = ? ${state ? 'AND c.state = ?' : ''} ORDER BY c.id`)
        .all(...(state ? [user.org, state] : [user.org])) as Array<{ id: number }>;
      return { contracts: rows.map((r) => { try { return detail(r.id, user); } catch { return null; } }).filter(Boolean) };
    }],
    ['GET', /^\/api\/contracts\/(\d+)$/, async (_q, _s, m, user) => detail(Number(m[1]), user)],
    ['PUT', /^\/api\/contracts\/(\d+)$/, async (req, _s, m, user) => {
      detail(Number(m[1]), user);
      const body = await readJson(req);
      contracts.save(Number(m[1]), user, body.fields as Record<string, string>, body.reason);
      return after(Number(m[1]), user);
    }],
    ['POST', /^\/api\/contracts\/(\d+)\/(send|return|confirm|attachments|send-sealed|confirm-seals)$/, async (req, _s, m, user) => {
      const id = Number(m[1]);
      const body = await readJson(req);
      detail(id, user);
      if (m[2] === 'send') contracts.send(id, user);
      if (m[2] === 'return') contracts.returnToDraft(id, user, body.reason);
      if (m[2] === 'confirm') await contracts.confirm(id, user, body);
      if (m[2] === 'attachments') contracts.addAttachment(id, user, { name: String(body.name ?? '附件'), mime: String(body.mime ?? 'application/octet-stream'), data: Buffer.from(String(body.data ?? ''), 'base64') });
      if (m[2] === 'send-sealed') contracts.sendSealed(id, user);
      if (m[2] === 'confirm-seals') await contracts.confirmSeals(id, user);
      return after(id, user);
    }],
    ['POST', /^\/api\/contracts\/(\d+)\/seals\/prepare$/, async (req, _s, m, user) => {
      detail(Number(m[1]), user);
      return sealing.prepare(Number(m[1]), user, await readJson(req));
    }],
    ['POST', /^\/api\/contracts\/(\d+)\/seals\/complete$/, async (req, _s, m, user) => {
      await sealing.complete(Number(m[1]), user, await readJson(req));
      return detail(Number(m[1]), user);
    }],
    // 公采签 (移动签): the signer is known only from the phone's CMS (mobile-sealing.ts).
    ['POST', /^\/api\/contracts\/(\d+)\/seals\/prepare-mobile$/, async (req, _s, m, user) => {
      detail(Number(m[1]), user);
      return mobileSealing.prepare(Number(m[1]), user, await readJson(req));
    }],
    ['POST', /^\/api\/contracts\/(\d+)\/seals\/complete-mobile$/, async (req, _s, m, user) => {
      await mobileSealing.complete(Number(m[1]), user, await readJson(req));
      return detail(Number(m[1]), user);
    }],
    ['DELETE', /^\/api\/contracts\/(\d+)\/seals\/(\d+)$/, async (_q, _s, m, user) => {
      detail(Number(m[1]), user);
      const removed = sealing.remove(Number(m[1]), user, Number(m[2]));
      return { removed, contract: detail(Number(m[1]), user) };
    }],
    ['DELETE', /^\/api\/contracts\/(\d+)\/attachments\/(\d+)$/, async (_q, _s, m, user) => {
      detail(Number(m[1]), user);
      const removed = contracts.removeAttachment(Number(m[1]), user, Number(m[2]));
      return { removed, contract: detail(Number(m[1]), user) };
    }],
    ['GET', /^\/api\/downloads$/, async () => ({ version: assistantVersion(), installers: listInstallers(opts.downloadsDir).map((i) => ({ ...i, url: `/downloads/${encodeURIComponent(i.file)}` })) })],
    ['GET', /^\/api\/binding$/, async (_q, _s, _m, user) => ({ binding: sealing.binding(user) ?? null })],
    ['POST', /^\/api\/binding\/challenge$/, async (_q, _s, _m, user) => ({ nonce: sealing.challenge(user) })],
    ['POST', /^\/api\/binding$/, async (req, _s, _m, user) => ({ binding: sealing.bind(user, await readJson(req)) })],
    ['DELETE', /^\/api\/binding$/, async (_q, _s, _m, user) => {
      sealing.unbind(user);
      return { binding: null };
    }],
  ];

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://mall');
      const user = me(req);
      if (req.method === 'GET' && url.pathname === '/sdk/ca-assistant-sdk.js') {
        res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' });
        return res.end(sdk);
      }
      const page = STATIC[url.pathname];
      if (req.method === 'GET' && page) {
        res.writeHead(200, { 'content-type': page[1], 'cache-control': 'no-store' });
        return res.end(readFileSync(join(PAGES, page[0])));
      }
      const pdfMatch = /^\/api\/contracts\/(\d+)\/(pdf|preview\.png)$/.exec(url.pathname);
      if (req.method === 'GET' && pdfMatch) {
        detail(Number(pdfMatch[1]), user);
        const pdf = contracts.get(Number(pdfMatch[1])).pdf;
        if (!pdf) throw new MallError(404, '合同尚未生成 PDF（采购人确认后生成）');
        if (pdfMatch[2] === 'pdf') {
          // The name the assistant's PIN dialog showed: 政府采购合同（HT-DD20250001）.pdf (RFC 6266, with an ASCII fallback).
          const name = documentName(contracts.fields(contracts.get(Number(pdfMatch[1]))));
          const ascii = `contract-${contracts.fields(contracts.get(Number(pdfMatch[1]))).contractNo.replace(/[^\w.-]/g, '_')}.pdf`;
          res.writeHead(200, { 'content-type': 'application/pdf', 'content-disposition': `inline; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}` });
          return res.end(pdf);
        }
        return res.end(await previewPng(pdf));
      }
      const attachmentMatch = /^\/api\/contracts\/(\d+)\/attachments\/(\d+)$/.exec(url.pathname);
      if (req.method === 'GET' && attachmentMatch) {
        detail(Number(attachmentMatch[1]), user);
        const a = contracts.attachment(Number(attachmentMatch[1]), Number(attachmentMatch[2]));
        // Uploaded bytes are never rendered as a page of the mall: a download, typed as declared, not sniffed.
        res.writeHead(200, { 'content-type': a.mime, 'x-content-type-options': 'nosniff', 'content-security-policy': "default-src 'none'; sandbox", 'content-disposition': `attachment; filename="attachment-${a.id}"; filename*=UTF-8''${encodeURIComponent(a.name)}` });
        return res.end(a.data);
      }
      const download = /^\/downloads\/([^/]+)$/.exec(url.pathname);
      if (req.method === 'GET' && download) {
        let name: string;
        try {
          name = decodeURIComponent(download[1] as string);
        } catch {
          throw new MallError(404, '没有这个下载文件');
        }
        const path = installerPath(opts.downloadsDir, name);
        if (!path) throw new MallError(404, '该安装包尚未提供下载，请联系商城客服');
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(name)}` });
        createReadStream(path).pipe(res);
        return;
      }
      for (const [method, pattern, handler] of routes) {
        const m = pattern.exec(url.pathname);
        if (m && req.method === method) return json(res, 200, await handler(req, res, m, user));
      }
      json(res, 404, { error: '页面不存在' });
    })().catch((e: unknown) => {
      if (e instanceof MallError) return json(res, e.status, { error: e.message });
      console.error('mall:', e);
      json(res, 500, { error: '商城内部错误，请稍后重试' });
    });
  });
  await new Promise<void>((r) => server.listen(opts.port, opts.host ?? '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  origins = [url, `http://localhost:${port}`, ...(opts.publicOrigins ?? [])];
  return {
    url,
    receiverUrl,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await receiver?.close();
      db.close();
    },
  };
}

/** Page 1 as PNG through poppler's pdftoppm, so the page can show the sealed contract without a PDF plugin. */
async function previewPng(pdf: Buffer): Promise<Buffer> {
  const dir = mkdtempSync(join(tmpdir(), 'mall-preview-'));
  try {
    writeFileSync(join(dir, 'c.pdf'), pdf);
    await promisify(execFile)('pdftoppm', ['-png', '-r', '80', '-singlefile', join(dir, 'c.pdf'), join(dir, 'p')]);
    return readFileSync(join(dir, 'p.png'));
  } catch {
    throw new MallError(503, '预览需要 poppler-utils（pdftoppm）；请下载 PDF 查看');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '8080' },
      assistant: { type: 'string', default: 'ws://127.0.0.1:21518/' },
      data: { type: 'string', default: join(process.cwd(), '.fixtures', 'mall') },
      'trust-anchor': { type: 'string', multiple: true, default: [] },
      intermediate: { type: 'string', multiple: true, default: [] },
      receiver: { type: 'string' },
      'receiver-port': { type: 'string', default: '0' },
      downloads: { type: 'string', default: join(import.meta.dirname, '../../release') },
    },
  });
  const mall = await startMall({
    port: Number(values.port), dataDir: values.data, assistantUrl: values.assistant, trustAnchors: values['trust-anchor'],
    intermediates: values.intermediate, ...(values.receiver ? { receiverUrl: values.receiver } : {}),
    receiverPort: Number(values['receiver-port']), downloadsDir: values.downloads,
  });
  console.log(`参考商城 reference mall: ${mall.url}/\n监管系统 supervision receiver: ${mall.receiverUrl}/filings`);
  const stop = (): void => void mall.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
