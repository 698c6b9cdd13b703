/**
 * Content octets of OBJECT IDENTIFIER, UTCTime and GeneralizedTime values
 * (X.690 §8.19, §11.7–11.8): the few primitives the agent's DER code needs that
 * are not plain bytes. Written here instead of taken from node-forge, whose
 * 660 KB the agent would otherwise load at every start for these few functions.
 * The OID pair lives in util/oid.ts, which the token layer shares (CKA_EC_PARAMS).
 */
export { contentToOid, oidToContent } from '../util/oid.js';

const two = (n: number): string => String(n).padStart(2, '0');

/** `YYMMDDHHMMSSZ` (UTCTime) or `YYYYMMDDHHMMSSZ` (GeneralizedTime) of a date, UTC, whole seconds. */
export function formatTime(date: Date, kind: 'utc' | 'generalized'): string {
  const year = date.getUTCFullYear();
  const y = kind === 'utc' ? two(year % 100) : String(year).padStart(4, '0');
  return `${y}${two(date.getUTCMonth() + 1)}${two(date.getUTCDate())}${two(date.getUTCHours())}${two(date.getUTCMinutes())}${two(date.getUTCSeconds())}Z`;
}

const UTC_TIME = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(Z|[+-]\d{4})$/;
const GENERALIZED_TIME = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})?(\d{2})?(?:[.,](\d{1,9}))?(Z|[+-]\d{4})?$/;

/**
 * The date a UTCTime or GeneralizedTime says, or undefined when it is not one.
 * DER writes `Z` and seconds; older encodings without seconds or with an offset
 * are read too, and a GeneralizedTime without zone is taken as UTC.
 * UTCTime years 50–99 are 1950–1999, 00–49 are 2000–2049 (RFC 5280).
 */
export function parseTime(text: string, kind: 'utc' | 'generalized'): Date | undefined {
  const m = (kind === 'utc' ? UTC_TIME : GENERALIZED_TIME).exec(text);
  if (!m) return undefined;
  const n = (i: number): number => Number(m[i] ?? 0);
  const year = kind === 'utc' ? (n(1) < 50 ? 2000 + n(1) : 1900 + n(1)) : n(1);
  const fraction = kind === 'generalized' && m[7] ? Math.floor(Number(`0.${m[7]}`) * 1000) : 0;
  const [month, day, hour, minute, second] = [n(2), n(3), n(4), n(5), n(6)];
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return undefined;
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0–99 to 1900–1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, fraction);
  // 31 February rolls over into March: such a date is not one.
  if (date.getUTCDate() !== day) return undefined;
  const zone = kind === 'utc' ? m[7] : m[8];
  if (zone && zone !== 'Z') {
    const offset = (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3, 5))) * 60_000;
    return new Date(date.getTime() + (zone[0] === '+' ? -offset : offset));
  }
  return date;
}
