/**
 * Personal data in the support report. A personal certificate's subject
 * carries the holder's ID number (居民身份证号, DN `serialNumber`); support
 * staff need its last digits at most, so the report masks it unless the user
 * asks for it explicitly (`diagnose --include-personal-ids`). Organization
 * identifiers (统一社会信用代码) are public registry numbers and stay.
 */
import type { DiagnosticReport } from './report-data.js';

/** Digits kept at the end of a masked ID number (default 4). */
export const ID_KEEP_DIGITS = 4;

/** An 18-character 居民身份证号 (6-digit area, 8-digit birth date, 3 digits, check digit) anywhere in a text. */
const ID_NUMBER = /(?<![0-9A-Za-z])\d{6}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])/g;

/** `410105199001011234` → `**************1234`. */
export function maskId(value: string, keep = ID_KEEP_DIGITS): string {
  return value.length <= keep ? '*'.repeat(value.length) : '*'.repeat(value.length - keep) + value.slice(-keep);
}

/** Every string in `value`, deeply, through `fn` (objects and arrays copied). */
function mapStrings<T>(value: T, fn: (s: string) => string): T {
  if (typeof value === 'string') return fn(value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => mapStrings(v, fn)) as T;
  if (value && typeof value === 'object' && !Buffer.isBuffer(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapStrings(v, fn)])) as T;
  return value;
}

/**
 * The report with the personal ID numbers masked: the DN serialNumber of
 * every non-organization certificate (whatever its format) and anything
 * shaped like a 居民身份证号, wherever it appears (subjects, check lines, logs).
 */
export function maskPersonalIds(report: DiagnosticReport): DiagnosticReport {
  const known = new Set<string>();
  for (const t of report.tokens) {
    for (const c of t.certificates) {
      if (c.kind === 'organization') continue;
      for (const f of c.subjectFields) if (f.label.startsWith('证件号码') && f.value.length > 0) known.add(f.value);
    }
  }
  const values = [...known].sort((a, b) => b.length - a.length);
  const masked = mapStrings(report, (s) => {
    let out = s;
    for (const v of values) out = out.split(v).join(maskId(v));
    return out.replace(ID_NUMBER, (m) => maskId(m));
  });
  return { ...masked, personalIdsMasked: true };
}
