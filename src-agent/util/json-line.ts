/**
 * JSON for line-oriented files (audit.jsonl, agent.jsonl): `JSON.stringify`
 * leaves line and paragraph separators, fillers, soft hyphens, bidi and tag
 * characters raw; a line reader or a terminal then shows a different record
 * from the one written. They are written as `\uXXXX` escapes instead, which
 * JSON.parse reads back as the same string.
 */

// C0/C1 are escaped by JSON.stringify already except DEL and C1; the rest are
// format, separator and blank characters that display as nothing or move text.
const INVISIBLE = /[\u007f-\u009f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u2000-\u200f\u2028-\u202f\u205f-\u206f\u2800\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufffb]|\udb40[\udc00-\udfff]/g;

const escape = (ch: string): string => Array.from({ length: ch.length }, (_, i) => `\\u${ch.charCodeAt(i).toString(16).padStart(4, '0')}`).join('');

/** One JSON line (no newline) with every invisible character escaped. */
export function jsonLine(value: unknown): string {
  return JSON.stringify(value).replace(INVISIBLE, escape);
}
