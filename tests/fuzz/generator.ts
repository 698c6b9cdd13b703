/**
 * Generates hostile WebSocket text frames from a seed: random bytes, mutated
 * valid requests, deep JSON, huge strings and odd Unicode. Deterministic: the
 * same seed and index give the same frame, so a failure names a frame that can
 * be replayed with `frameAt(seed, index)`.
 */
import { SeededRandom } from '../reliability/seeded-random.js';

/** The seed the suite uses; change it only on purpose (and say so in docs/reliability.md). */
export const FUZZ_SEED = 20260909;

export type FrameKind = 'random-bytes' | 'mutated-text' | 'mutated-structure' | 'deep-json' | 'huge-string' | 'odd-unicode' | 'corpus';

export interface FuzzFrame {
  index: number;
  kind: FrameKind;
  text: string;
}

/** Valid requests the mutators start from; `CERT` is replaced by a real certificate id. */
export const VALID_REQUESTS: readonly object[] = [
  { jsonrpc: '2.0', id: 1, method: 'system.hello', params: { client: 'mall' } },
  { jsonrpc: '2.0', id: 2, method: 'tokens.list', params: {} },
  { jsonrpc: '2.0', id: 3, method: 'certs.list', params: { kind: 'organization' } },
  { jsonrpc: '2.0', id: 4, method: 'certs.chain', params: { certId: 'CERT' } },
  { jsonrpc: '2.0', id: 5, method: 'seals.get', params: { certId: 'CERT' } },
  { jsonrpc: '2.0', id: 6, method: 'sign.hash', params: { certId: 'CERT', hash: Buffer.alloc(32, 1).toString('base64'), hashAlgorithm: 'sha256', format: 'cms', document: { name: '合同.pdf' } } },
  { jsonrpc: '2.0', id: 7, method: 'auth.challenge', params: { certId: 'CERT', nonce: Buffer.alloc(16, 2).toString('base64') } },
  { jsonrpc: '2.0', id: 8, method: 'verify.cms', params: { signature: 'MAA=', hash: Buffer.alloc(32).toString('base64'), hashAlgorithm: 'sha256' } },
  { jsonrpc: '2.0', id: 9, method: 'session.logout', params: { tokenId: 'x' } },
];

const ODD = ['\u0000', '\ud800', '\udfff', '\ufeff', '\u202e', '\u200b', '\uffff', '𝕏', '🧧', '\u0301', '\\u0000', '\\ud800', '"', '\\', '\n', '\u2028', '中', 'İ'];
const TOKENS = ['{', '}', '[', ']', ',', ':', '"', 'null', 'true', '-0', '1e309', '0x10', 'NaN', '__proto__', 'constructor', '"id"', '"method"', '"params"'];
const VALUES: ((r: SeededRandom) => unknown)[] = [
  () => null, () => true, (r) => r.int(-1e9, 1e9), () => 1e308, () => -0, () => 2 ** 53 + 1, () => '', () => [],
  () => ({}), (r) => 'x'.repeat(r.int(0, 4096)), (r) => r.pick(ODD).repeat(r.int(1, 64)), () => ({ __proto__: { polluted: true } }),
  () => JSON.parse('{"__proto__":{"polluted":true}}'), () => ({ constructor: { prototype: { polluted: true } } }),
];

function mutateText(r: SeededRandom, text: string): string {
  let s = text;
  for (let n = r.int(1, 4); n > 0; n--) {
    const at = r.int(0, s.length);
    switch (r.int(0, 4)) {
      case 0: s = s.slice(0, at) + s.slice(at + r.int(1, 8)); break;
      case 1: s = s.slice(0, at) + r.pick(TOKENS) + s.slice(at); break;
      case 2: s = s.slice(0, at) + String.fromCharCode(r.int(0, 0xffff)) + s.slice(at + 1); break;
      case 3: s = s.slice(0, at); break;
      default: s = s.slice(0, at) + s.slice(r.int(0, s.length)); break;
    }
  }
  return s;
}

function mutateStructure(r: SeededRandom, request: Record<string, unknown>): string {
  const copy: Record<string, unknown> = structuredClone(request);
  const params = (typeof copy.params === 'object' && copy.params !== null ? copy.params : {}) as Record<string, unknown>;
  const target = r.next() < 0.5 ? copy : params;
  const keys = Object.keys(target);
  switch (r.int(0, 3)) {
    case 0: if (keys.length) target[r.pick(keys)] = r.pick(VALUES)(r); break;
    case 1: if (keys.length) delete target[r.pick(keys)]; break;
    case 2: target[r.pick(['extra', '__proto__', 'constructor', 'prototype', 'id', 'jsonrpc', 'method'])] = r.pick(VALUES)(r); break;
    default: copy.id = r.pick(VALUES)(r); break;
  }
  return JSON.stringify(copy);
}

function deepJson(r: SeededRandom): string {
  const depth = r.int(100, 20_000);
  const open = r.next() < 0.5 ? '[' : '{"a":';
  const close = open === '[' ? ']' : '}';
  const inner = `${open.repeat(depth)}1${close.repeat(r.next() < 0.8 ? depth : r.int(0, depth))}`;
  return r.next() < 0.5 ? inner : `{"jsonrpc":"2.0","id":1,"method":"system.hello","params":{"client":${inner}}}`;
}

function hugeString(r: SeededRandom): string {
  const size = r.int(1_000, 60_000);
  const filler = r.pick(['A', '中', '\\u0000', '🧧', '"', '\\\\']).repeat(Math.ceil(size / 4));
  const field = r.pick(['method', 'id', 'hash', 'certId', 'name', 'client']);
  const json = { jsonrpc: '2.0', id: 1, method: 'sign.hash', params: { certId: 'CERT', hash: 'AA==', hashAlgorithm: 'sha256', format: 'cms', document: { name: 'a' } } } as Record<string, unknown>;
  const params = json.params as Record<string, unknown>;
  if (field === 'method' || field === 'id') json[field] = filler;
  else if (field === 'name') params.document = { name: filler };
  else if (field === 'client') json.params = { client: filler };
  else params[field] = filler;
  return JSON.stringify(json).replaceAll('\\\\\\\\', '\\\\');
}

function oddUnicode(r: SeededRandom): string {
  const junk = Array.from({ length: r.int(1, 40) }, () => r.pick(ODD)).join('');
  const shapes = [
    `{"jsonrpc":"2.0","id":"${junk}","method":"system.hello"}`,
    `{"jsonrpc":"2.0","id":1,"method":"${junk}"}`,
    `{"jsonrpc":"2.0","id":1,"method":"sign.hash","params":{"certId":"${junk}","hash":"${junk}","hashAlgorithm":"sm3","format":"raw"}}`,
    `\ufeff{"jsonrpc":"2.0","id":1,"method":"tokens.list","params":{}}`,
    `{"jsonrpc":"2.0","id":1,"method":"system.hello","params":{"client":"${junk}"}}`,
    junk,
  ];
  return r.pick(shapes);
}

/** Frame number `index` of the stream for `seed`; `certId` stands in for `CERT`. */
export function frameAt(seed: number, index: number, certId = 'CERT'): FuzzFrame {
  const r = new SeededRandom((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
  const roll = r.next();
  const base = () => JSON.parse(JSON.stringify(r.pick(VALID_REQUESTS)).replaceAll('CERT', certId)) as Record<string, unknown>;
  let kind: FrameKind;
  let text: string;
  if (roll < 0.2) [kind, text] = ['random-bytes', r.bytes(r.int(0, 256)).toString(r.next() < 0.5 ? 'utf8' : 'latin1')];
  else if (roll < 0.45) [kind, text] = ['mutated-text', mutateText(r, JSON.stringify(base()))];
  else if (roll < 0.75) [kind, text] = ['mutated-structure', mutateStructure(r, base())];
  else if (roll < 0.8) [kind, text] = ['deep-json', deepJson(r)];
  else if (roll < 0.85) [kind, text] = ['huge-string', hugeString(r).replaceAll('CERT', certId)];
  else [kind, text] = ['odd-unicode', oddUnicode(r)];
  return { index, kind, text };
}

/** Shows a frame in a failure message: kind, index, length and the first 300 characters, JSON-escaped. */
export function describeFrame(frame: FuzzFrame, seed: number): string {
  return `fuzz frame #${frame.index} (seed ${seed}, ${frame.kind}, ${frame.text.length} chars; replay with frameAt(${seed}, ${frame.index})): ${JSON.stringify(frame.text.slice(0, 300))}`;
}
