/**
 * The mobile signing service, stand-in for the 公采易通 back end: enrols phones
 * (certificates from the test mobile CA), keeps the seals of each account, and
 * runs the one-time signing sessions between the assistant and a phone. It also
 * serves the phone web app (phone/), bundled with esbuild at start.
 *
 *   node bin/run-ts.mjs examples/mobile-sign/server.ts --port 8090 --data DIR
 *
 * Assistant side:  POST /api/v1/sessions · GET /api/v1/sessions/:id · DELETE /api/v1/sessions/:id
 * Phone side:      POST /api/v1/enrol · POST /api/v1/scan · POST /api/v1/answer
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { openMobileCa } from './mobile-ca.js';
import { MobileError, Sessions, type SessionsOptions } from './sessions.js';
import { Store, type AccountSeed } from './store.js';

/** Largest request body, bytes (default 64 KiB: a CMS and a few fields). */
export const MAX_BODY_BYTES = 64 * 1024;
const PHONE = join(import.meta.dirname, 'phone');

export interface MobileSignOptions {
  /** 0 picks a free port. */
  port: number;
  host?: string;
  dataDir: string;
  accounts?: AccountSeed[];
  /** Session lifetime, ms (default 120 s). */
  ttlMs?: number;
  /** Test only: hand the phone another hash than the assistant asked for. */
  tamperHash?: (hash: Buffer) => Buffer;
}

export interface RunningMobileSign {
  url: string;
  /** The mobile CA's root certificate file (PEM), for the assistant and the 监管系统. */
  caFile: string;
  store: Store;
  /** Test only: changes the session lifetime or makes the service hand phones another hash, from now on. */
  tune(options: { ttlMs?: number; tamperHash?: ((hash: Buffer) => Buffer) | undefined }): void;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (d: Buffer) => {
      size += d.length;
      if (size > MAX_BODY_BYTES) req.destroy(new MobileError(413, 'TOO_LARGE', '请求内容过大'));
      else parts.push(d);
    });
    req.on('end', () => {
      try {
        resolve(parts.length ? JSON.parse(Buffer.concat(parts).toString('utf8')) : {});
      } catch {
        reject(new MobileError(400, 'BAD_REQUEST', '请求数据不是有效的 JSON'));
      }
    });
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown, type = 'application/json; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.end(typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body));
}

async function phoneBundle(): Promise<string> {
  const out = await build({ entryPoints: [join(PHONE, 'app.js')], bundle: true, format: 'esm', write: false, target: 'es2022', minify: true, logLevel: 'silent' });
  return out.outputFiles[0]?.text ?? '';
}

/** Starts the service (and creates its CA and database in `dataDir` on the first run). */
export async function startMobileSign(opts: MobileSignOptions): Promise<RunningMobileSign> {
  mkdirSync(opts.dataDir, { recursive: true });
  const ca = await openMobileCa(opts.dataDir);
  const store = new Store(join(opts.dataDir, 'mobile-sign.sqlite'));
  store.seed(opts.accounts ?? []);
  const behaviour: SessionsOptions = { store, ca, ...(opts.ttlMs ? { ttlMs: opts.ttlMs } : {}), ...(opts.tamperHash ? { tamperHash: opts.tamperHash } : {}) };
  const sessions = new Sessions(behaviour);
  const statics: Record<string, [string | Buffer, string]> = {
    '/': [readFileSync(join(PHONE, 'index.html')), 'text/html; charset=utf-8'],
    '/style.css': [readFileSync(join(PHONE, 'style.css')), 'text/css; charset=utf-8'],
    '/app.js': [await phoneBundle(), 'text/javascript; charset=utf-8'],
  };
  const routes: Array<[string, RegExp, (body: unknown, m: RegExpExecArray) => unknown]> = [
    ['POST', /^\/api\/v1\/sessions$/, (b) => sessions.create(b)],
    ['GET', /^\/api\/v1\/sessions\/([A-Za-z0-9_-]{1,64})$/, (_b, m) => sessions.status(m[1] as string)],
    ['DELETE', /^\/api\/v1\/sessions\/([A-Za-z0-9_-]{1,64})$/, (_b, m) => sessions.cancel(m[1] as string)],
    ['POST', /^\/api\/v1\/enrol$/, (b) => sessions.enrol(b)],
    ['POST', /^\/api\/v1\/scan$/, (b) => sessions.scan(b)],
    ['POST', /^\/api\/v1\/answer$/, (b) => sessions.answer(b)],
  ];
  const server = createServer((req, res) => {
    void (async () => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const file = req.method === 'GET' ? statics[path] : undefined;
      if (file) return send(res, 200, file[0], file[1]);
      if (path === '/mobile-ca.pem' && req.method === 'GET') return send(res, 200, ca.pem, 'application/x-pem-file');
      for (const [method, re, handler] of routes) {
        const m = re.exec(path);
        if (!m) continue;
        if (req.method !== method) continue;
        const body = method === 'POST' ? await readBody(req) : undefined;
        if (method === 'POST' && (typeof body !== 'object' || body === null || Array.isArray(body))) throw new MobileError(400, 'BAD_REQUEST', '请求数据必须是 JSON 对象');
        return send(res, method === 'POST' && path === '/api/v1/sessions' ? 201 : 200, await handler(body, m));
      }
      throw new MobileError(404, 'NOT_FOUND', '没有这个接口');
    })().catch((error: unknown) => {
      const e = error instanceof MobileError ? error : new MobileError(500, 'INTERNAL', '服务内部错误');
      if (!(error instanceof MobileError)) console.error('mobile-sign:', error);
      if (!res.headersSent) send(res, e.status, { error: e.message, code: e.code });
    });
  });
  await new Promise<void>((resolve) => server.listen(opts.port, opts.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    caFile: ca.file,
    store,
    tune: (options) => {
      if ('ttlMs' in options) behaviour.ttlMs = options.ttlMs;
      if ('tamperHash' in options) behaviour.tamperHash = options.tamperHash;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      store.close();
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { port: { type: 'string', default: '8090' }, host: { type: 'string' }, data: { type: 'string', default: '.mobile-sign' } } });
  const running = await startMobileSign({ port: Number(values.port), dataDir: values.data as string, ...(values.host ? { host: values.host } : {}) });
  console.log(`公采易通（移动签服务）已启动：${running.url}/  移动 CA 根证书：${running.caFile}`);
}
