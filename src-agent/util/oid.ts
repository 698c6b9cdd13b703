/**
 * OBJECT IDENTIFIER content octets (X.690 §8.19), shared by the PKI layer's DER
 * code and the token layer (the CKA_EC_PARAMS of a named curve).
 */

/** Content octets of an OID in dotted form. Throws on a malformed OID (caller's input is trusted: OIDs come from our tables). */
export function oidToContent(dotted: string): Buffer {
  const arcs = dotted.split('.').map((a) => {
    if (!/^\d{1,15}$/.test(a)) throw new Error(`bad OID ${dotted}`);
    return Number(a);
  });
  const [first, second, ...rest] = arcs;
  if (first === undefined || second === undefined || first > 2 || (first < 2 && second >= 40)) throw new Error(`bad OID ${dotted}`);
  const out: number[] = [];
  for (const arc of [first * 40 + second, ...rest]) {
    const chunk = [arc % 128];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v % 128) | 0x80);
    out.push(...chunk);
  }
  return Buffer.from(out);
}

/**
 * Dotted form of OID content octets, or undefined when they are not a valid
 * encoding (empty, a subidentifier cut short or padded with 0x80, or too large).
 */
export function contentToOid(content: Buffer): string | undefined {
  if (content.length === 0) return undefined;
  const subs: number[] = [];
  let value = 0;
  let started = false;
  for (const byte of content) {
    if (!started && byte === 0x80) return undefined; // non-minimal encoding
    started = true;
    value = value * 128 + (byte & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER) return undefined;
    if ((byte & 0x80) === 0) {
      subs.push(value);
      value = 0;
      started = false;
    }
  }
  if (started) return undefined; // last subidentifier cut short
  const [head = 0, ...rest] = subs;
  const first = head < 40 ? 0 : head < 80 ? 1 : 2;
  return [first, head - first * 40, ...rest].join('.');
}
