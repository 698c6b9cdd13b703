/**
 * A small RFC 3161 time-stamping authority over HTTP for tests and the demo: the
 * request body (`application/timestamp-query`) goes to `openssl ts -reply`, whose
 * answer comes back as `application/timestamp-reply`. Requests are answered one at
 * a time (openssl keeps the serial number in a file).
 *
 *   node bin/run-ts.mjs examples/tsa/server.ts --dir D [--port N] [--key rsa|ec]
 */
import { execFile as execFileCb } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { makeTsaPki, type TsaKeyKind, type TsaPki } from './tsa-pki.js';

const execFile = promisify(execFileCb);

/** Largest request body accepted, bytes (a query is ~60 bytes; SHA-512 with extensions stays far below). */
export const MAX_QUERY_BYTES = 8 * 1024;

export interface RunningTsa {
  /** `http://127.0.0.1:PORT/tsa` */
  url: string;
  pki: TsaPki;
  /** Requests answered with a time-stamp response so far. */
  answered(): number;
  close(): Promise<void>;
}

function tsaConfig(pki: TsaPki, kind: TsaKeyKind, work: string): string {
  const s = pki.signers[kind];
  return `[tsa]
default_tsa = tsa_config
[tsa_config]
serial = ${join(work, 'serial')}
crypto_device = builtin
signer_cert = ${s.certPem}
certs = ${pki.rootPem}
signer_key = ${s.keyPem}
signer_digest = sha256
default_policy = 1.2.156.112562.20.9.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
`;
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_QUERY_BYTES) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function reply(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Starts the TSA on 127.0.0.1 (`port` 0: a free one), making its keys in `dir` when missing. */
export async function startTsa(options: { dir: string; port?: number; key?: TsaKeyKind }): Promise<RunningTsa> {
  const pki = await makeTsaPki(options.dir);
  const work = await mkdtemp(join(options.dir, 'run-'));
  const cnf = join(work, 'tsa.cnf');
  await writeFile(cnf, tsaConfig(pki, options.key ?? 'rsa', work));
  await writeFile(join(work, 'serial'), '01\n');
  let queue: Promise<unknown> = Promise.resolve();
  let answered = 0;
  let n = 0;

  const stamp = async (query: Buffer): Promise<Buffer> => {
    const id = ++n;
    const q = join(work, `q${id}.tsq`);
    const r = join(work, `r${id}.tsr`);
    await writeFile(q, query);
    try {
      await execFile('openssl', ['ts', '-reply', '-config', cnf, '-queryfile', q, '-out', r]);
      return await readFile(r);
    } finally {
      await rm(q, { force: true });
      await rm(r, { force: true });
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'POST' || !req.url?.startsWith('/tsa')) return reply(res, 404, 'text/plain; charset=utf-8', '只接受 POST /tsa\n');
    if (req.headers['content-type'] !== 'application/timestamp-query') return reply(res, 415, 'text/plain; charset=utf-8', '须为 application/timestamp-query\n');
    const body = await readBody(req);
    if (!body) return reply(res, 413, 'text/plain; charset=utf-8', '请求过大\n');
    const job = queue.then(() => stamp(body));
    queue = job.catch(() => undefined);
    try {
      const response = await job;
      answered += 1;
      reply(res, 200, 'application/timestamp-reply', response);
    } catch {
      // openssl refuses what is not a TimeStampReq; RFC 3161 clients get a 400 like from real TSAs.
      reply(res, 400, 'text/plain; charset=utf-8', '不是有效的时间戳请求\n');
    }
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => reply(res, 500, 'text/plain; charset=utf-8', '时间戳服务内部错误\n'));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/tsa`,
    pki,
    answered: () => answered,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(work, { recursive: true, force: true });
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { dir: { type: 'string' }, port: { type: 'string', default: '0' }, key: { type: 'string', default: 'rsa' } } });
  if (!values.dir || (values.key !== 'rsa' && values.key !== 'ec')) {
    console.error('用法 / usage: server.ts --dir D [--port N] [--key rsa|ec]');
    process.exit(2);
  }
  const tsa = await startTsa({ dir: values.dir, port: Number(values.port), key: values.key });
  console.log(`时间戳服务 TSA: ${tsa.url}  (根证书 root: ${tsa.pki.rootPem})`);
}
