/**
 * Times as a Chinese clerk reads them: in the computer's own time zone (the
 * process's, from the OS or `TZ`; Asia/Shanghai on a Chinese PC), never UTC
 * on a Chinese screen. Machine fields (JSON, logs, the wire) stay ISO 8601 UTC.
 */

const pad = (n: number): string => String(n).padStart(2, '0');

/** The zone as a clerk names it: `北京时间` for UTC+8, else `UTC+hh:mm`. */
export function zoneName(at: Date = new Date()): string {
  const offset = -at.getTimezoneOffset();
  if (offset === 480) return '北京时间';
  const a = Math.abs(offset);
  return `UTC${offset >= 0 ? '+' : '-'}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
}

/**
 * `2026-01-31 16:00` in local time; `zone` appends `（北京时间）`, `seconds`
 * adds `:ss`. An unreadable value is returned as given.
 */
export function localTime(value: string | number | Date, options: { zone?: boolean; seconds?: boolean } = {}): string {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  const text = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}${options.seconds ? `:${pad(d.getSeconds())}` : ''}`;
  return options.zone ? `${text}（${zoneName(d)}）` : text;
}
