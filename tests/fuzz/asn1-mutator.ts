/**
 * Seeded mutations of DER/BER: bit flips, interesting bytes, forged length
 * octets (huge, indefinite, non-minimal), truncation, deletion, insertion,
 * duplication, splices from other seeds, BER indefinite-length wrappers and
 * deep nesting, tag changes. Deterministic for a seed and case index.
 */
import { SeededRandom } from '../reliability/seeded-random.js';

/** The seed the ASN.1 fuzzing uses; change it only on purpose (and say so in docs/reliability.md). */
export const ASN1_FUZZ_SEED = 20261201;

const INTERESTING = [0x00, 0x01, 0x7f, 0x80, 0x81, 0x82, 0x84, 0xff, 0x30, 0x31, 0xa0, 0x05, 0x06, 0x02, 0x03, 0x04, 0x1f];
const LENGTHS = [[0x80], [0x00], [0x7f], [0x81, 0xff], [0x82, 0xff, 0xff], [0x84, 0xff, 0xff, 0xff, 0xff], [0x85, 1, 0, 0, 0, 0], [0x82, 0x00, 0x05], [0x81, 0x01], [0x89]];

export type MutationKind = 'flip' | 'byte' | 'length' | 'truncate' | 'delete' | 'insert' | 'duplicate' | 'splice' | 'wrap' | 'nest' | 'tag';
const KINDS: MutationKind[] = ['flip', 'byte', 'length', 'length', 'truncate', 'delete', 'insert', 'duplicate', 'splice', 'wrap', 'nest', 'tag'];

function once(r: SeededRandom, input: Buffer, others: readonly Buffer[], kind: MutationKind): Buffer {
  const b = Buffer.from(input);
  const at = b.length ? r.int(0, b.length - 1) : 0;
  switch (kind) {
    case 'flip':
      if (b.length) b[at]! ^= 1 << r.int(0, 7);
      return b;
    case 'byte':
      if (b.length) b[at] = r.pick(INTERESTING);
      return b;
    case 'length': {
      const len = Buffer.from(r.pick(LENGTHS));
      return Buffer.concat([b.subarray(0, at + 1), len, b.subarray(Math.min(b.length, at + 1 + (r.next() < 0.5 ? len.length : 1)))]);
    }
    case 'truncate':
      return b.subarray(0, at);
    case 'delete':
      return Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + r.int(1, 64)))]);
    case 'insert':
      return Buffer.concat([b.subarray(0, at), r.bytes(r.int(1, 16)), b.subarray(at)]);
    case 'duplicate': {
      const end = Math.min(b.length, at + r.int(1, 256));
      return Buffer.concat([b.subarray(0, end), b.subarray(at, end), b.subarray(end)]);
    }
    case 'splice': {
      const other = r.pick(others);
      const from = r.int(0, Math.max(0, other.length - 1));
      return Buffer.concat([b.subarray(0, at), other.subarray(from, from + r.int(1, 512)), b.subarray(Math.min(b.length, at + r.int(0, 512)))]);
    }
    case 'wrap':
      return Buffer.concat([Buffer.from([r.pick([0x30, 0x31, 0xa0, 0x24]), 0x80]), b, Buffer.from([0, 0])]);
    case 'nest': {
      const depth = r.int(50, 3_000);
      return Buffer.concat([Buffer.alloc(depth * 2, Buffer.from([0x30, 0x80])), b, Buffer.alloc(r.next() < 0.7 ? depth * 2 : r.int(0, depth * 2))]);
    }
    case 'tag':
      if (b.length) b[at] = (b[at]! & 0x1f) | (r.int(0, 7) << 5);
      return b;
  }
}

/** One to three mutations of `input`; `others` are splice sources. */
export function mutate(r: SeededRandom, input: Buffer, others: readonly Buffer[]): { bytes: Buffer; kinds: MutationKind[] } {
  let bytes = input;
  const kinds: MutationKind[] = [];
  for (let n = r.int(1, 3); n > 0; n--) {
    const kind = r.pick(KINDS);
    kinds.push(kind);
    bytes = once(r, bytes, others, kind);
  }
  return { bytes, kinds };
}
