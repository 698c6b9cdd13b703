import forge from 'node-forge';
import { describe, expect, it } from 'vitest';
import { contentToOid, formatTime, oidToContent, parseTime } from '../../../src-agent/pki/der-primitives.js';

/** node-forge's encoding, an implementation independent of ours. */
const forgeOid = (dotted: string): Buffer => Buffer.from(forge.asn1.oidToDer(dotted).getBytes(), 'binary');

const OIDS = [
  '1.2.840.113549.1.7.2', '1.2.156.10197.1.301', '1.2.156.10197.1.501', '1.2.156.10197.6.1.4.2.1', '2.5.4.3', '0.9.2342.19200300.100.1.25',
  '2.16.840.1.101.3.4.2.1', '1.3.6.1.4.1.311.2.1.4', '2.999.3', '0.0',
];

describe('oidToContent / contentToOid', () => {
  it.each(OIDS)('%s: encodes as forge does and decodes back', (oid) => {
    expect(oidToContent(oid)).toEqual(forgeOid(oid));
    expect(contentToOid(oidToContent(oid))).toBe(oid);
  });

  it('handles arcs beyond 32 bits (where forge\'s encoder overflows)', () => {
    expect(oidToContent('1.39.4294967296')).toEqual(Buffer.from([0x4f, 0x90, 0x80, 0x80, 0x80, 0x00]));
    expect(contentToOid(Buffer.from([0x4f, 0x90, 0x80, 0x80, 0x80, 0x00]))).toBe('1.39.4294967296');
  });

  it('decodes random OIDs the way forge does', () => {
    let seed = 7;
    const next = (max: number): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % max;
    for (let i = 0; i < 500; i++) {
      const arcs = [next(3), next(40), ...Array.from({ length: next(8) }, () => next(2 ** (1 + next(30))))];
      const oid = arcs.join('.');
      expect(contentToOid(forgeOid(oid))).toBe(oid);
    }
  });

  it('refuses malformed content: empty, cut short, padded with 0x80', () => {
    expect(contentToOid(Buffer.alloc(0))).toBeUndefined();
    expect(contentToOid(Buffer.from([0x2a, 0x86]))).toBeUndefined();
    expect(contentToOid(Buffer.from([0x2a, 0x80, 0x01]))).toBeUndefined();
    expect(contentToOid(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]))).toBeUndefined();
  });

  it('refuses to encode what is no OID', () => {
    for (const bad of ['', '1', '3.1', '1.40', '1.2.x', '1..2']) expect(() => oidToContent(bad)).toThrow(/bad OID/);
  });
});

describe('formatTime / parseTime', () => {
  it('writes UTCTime and GeneralizedTime as forge does', () => {
    for (const iso of ['2026-12-01T08:09:10Z', '1999-01-31T23:59:59Z', '2049-12-31T00:00:00Z', '1950-06-15T12:00:00Z']) {
      const d = new Date(iso);
      expect(formatTime(d, 'utc')).toBe(forge.asn1.dateToUtcTime(d));
      expect(formatTime(d, 'generalized')).toBe(forge.asn1.dateToGeneralizedTime(d));
      expect(parseTime(formatTime(d, 'utc'), 'utc')?.toISOString()).toBe(d.toISOString());
      expect(parseTime(formatTime(d, 'generalized'), 'generalized')?.toISOString()).toBe(d.toISOString());
    }
  });

  it('reads the RFC 5280 century window, offsets, missing seconds and fractions', () => {
    expect(parseTime('491231235959Z', 'utc')?.toISOString()).toBe('2049-12-31T23:59:59.000Z');
    expect(parseTime('500101000000Z', 'utc')?.toISOString()).toBe('1950-01-01T00:00:00.000Z');
    expect(parseTime('2612010809+0800', 'utc')?.toISOString()).toBe('2026-12-01T00:09:00.000Z');
    expect(parseTime('20261201080910.5Z', 'generalized')?.toISOString()).toBe('2026-12-01T08:09:10.500Z');
    expect(parseTime('00500101000000Z', 'generalized')?.toISOString()).toBe('0050-01-01T00:00:00.000Z');
  });

  it('refuses what is no time', () => {
    for (const bad of ['', '2612011200', '261301000000Z', '260230000000Z', '26120124000Z', 'abcdefghijklZ']) expect(parseTime(bad, 'utc')).toBeUndefined();
    expect(parseTime('20260230000000Z', 'generalized')).toBeUndefined();
    expect(parseTime('2026-12-01T00:00:00Z', 'generalized')).toBeUndefined();
  });
});
