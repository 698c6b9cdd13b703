/**
 * How the mall writes amounts and times on its Chinese screens and in its
 * messages: one way everywhere (`98,000.00 元`, local time `2026-01-31 16:00`).
 * The pages have their own copy (pages/app.js) since they load no server code.
 */

/** `98000` / `98000.00` / `98,000` → `98,000.00` (yuan, two decimals); text that is no amount as given. */
export function yuan(amount: string | number): string {
  const n = Number(String(amount).replace(/,/g, ''));
  if (!Number.isFinite(n) || String(amount).trim() === '') return String(amount);
  return n.toLocaleString('zh-CN', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** An ISO time in this computer's time zone, `2026-01-31 16:00:05`, with `（北京时间）` / `（UTC+hh:mm）` when `zone`. */
export function localTime(iso: string, zone = false): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const text = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  if (!zone) return text;
  const offset = -d.getTimezoneOffset();
  const a = Math.abs(offset);
  return `${text}（${offset === 480 ? '北京时间' : `UTC${offset >= 0 ? '+' : '-'}${pad(Math.floor(a / 60))}:${pad(a % 60)}`}）`;
}
