/** The 环境检测 report as terminal text (Chinese), coloured only on a TTY. */
import type { CheckReport, CheckStatus } from '../protocol/types.js';

const MARK: Record<CheckStatus, string> = { ok: '✔', warn: '!', fail: '✘', skipped: '-' };
const LABEL: Record<CheckStatus, string> = { ok: '通过', warn: '警告', fail: '失败', skipped: '跳过' };
const COLOUR: Record<CheckStatus, string> = { ok: '32', warn: '33', fail: '31', skipped: '90' };

/** Text of a report: one line a check, the remedy indented below, a summary at the end. */
export function formatReport(report: CheckReport, colour: boolean): string {
  const paint = (status: CheckStatus, text: string): string => (colour ? `\u001b[${COLOUR[status]}m${text}\u001b[0m` : text);
  const lines = ['互认助手 环境检测', ''];
  for (const c of report.checks) {
    lines.push(`${paint(c.status, `${MARK[c.status]} ${LABEL[c.status]}`)}  ${c.titleZh}：${c.detailZh}`);
    if (c.remedyZh && c.status !== 'ok') lines.push(`        处理办法：${c.remedyZh}`);
  }
  const s = report.summary;
  lines.push('', `共 ${report.checks.length} 项：通过 ${s.ok}，警告 ${s.warn}，失败 ${s.fail}，跳过 ${s.skipped}。`);
  lines.push(s.fail > 0 ? paint('fail', '有检测项失败，请按“处理办法”操作后重新检测。') : paint('ok', '环境检测通过，可以前往商城签章。'));
  return lines.join('\n') + '\n';
}

/** A one-line progress message for stderr. */
export function formatProgress(p: { id: string; index: number; total: number; status?: CheckStatus; titleZh?: string }, groupTitle: string | undefined): string | null {
  if (p.status === undefined && p.titleZh) return `      ${p.titleZh}…\n`;
  if (p.status === undefined) return `[${p.index + 1}/${p.total}] 正在检测${groupTitle ?? p.id}…\n`;
  return null;
}
