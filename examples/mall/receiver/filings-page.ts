/**
 * The 监管系统's filings as a page a person reads (Chinese, local time),
 * for `GET /filings` from a browser; the JSON stays at `/filings?format=json`
 * (and for any client that does not ask for HTML).
 */
import { localTime } from '../format.js';

export interface FilingView {
  id: number;
  contractNo: string;
  mode: string;
  status: string;
  reason: string | null;
  signatures: Array<{ organization?: string; commonName?: string; keyAlgorithm?: string; digestAlgorithm?: string; valid?: boolean; signingTime?: string | null }>;
  attachments: Array<{ name: string; size: number }>;
  receivedAt: string;
}

const esc = (s: unknown): string => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const ALGORITHM_ZH: Record<string, string> = { SM2: '国密SM2', RSA: 'RSA', EC: 'ECC', ECDSA: 'ECC' };
const algorithm = (a: string | undefined): string => (a ? (ALGORITHM_ZH[a.replace(/-.*/, '')] ?? a) : '');

/** The page: one row per filing, its signatures in order, links to the PDF and attachments. */
export function renderFilingsPage(filings: FilingView[]): string {
  const rows = filings.map((f) => {
    const sigs = f.signatures.map((s, i) => `<li>${i + 1}. ${esc(s.organization ?? '')}${s.commonName && s.commonName !== s.organization ? `（${esc(s.commonName)}）` : ''} <span class="muted">${esc(algorithm(s.keyAlgorithm))}${s.digestAlgorithm ? ` / ${esc(s.digestAlgorithm.toUpperCase())}` : ''}</span> ${s.valid ? '<span class="ok">验证通过</span>' : '<span class="bad">验证失败</span>'}${s.signingTime ? ` <span class="muted">${esc(localTime(s.signingTime))}</span>` : ''}</li>`).join('');
    const files = f.attachments.map((a, i) => `<a href="/filings/${f.id}/attachments/${i}">${esc(a.name)}</a>`).join('、');
    return `<tr><td>${f.id}</td><td>${esc(f.contractNo)}</td><td>${f.mode === 'online' ? '线上签章' : '线下盖章'}</td>
      <td>${f.status === 'accepted' ? '<span class="ok">已备案</span>' : `<span class="bad">已拒绝</span><div class="reason">${esc(f.reason ?? '')}</div>`}</td>
      <td>${sigs ? `<ol>${sigs}</ol>` : '<span class="muted">无签章</span>'}</td>
      <td><a href="/filings/${f.id}/pdf">合同 PDF</a>${files ? `<div>附件：${files}</div>` : ''}</td><td>${esc(localTime(f.receivedAt))}</td></tr>`;
  }).join('');
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>监管系统 合同备案记录</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<style>body{font-family:"Microsoft YaHei","PingFang SC","Noto Sans CJK SC",sans-serif;margin:24px;color:#222;font-size:14px}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #ccc;padding:6px 8px;text-align:left;vertical-align:top}th{background:#f4f4f4;white-space:nowrap}
ol{margin:0;padding-left:0;list-style:none}.ok{color:#1a7f37}.bad{color:#c62828;font-weight:bold}.muted{color:#777}.reason{color:#c62828;font-size:13px}</style></head>
<body><h1>监管系统 · 合同备案记录</h1><p class="muted">共 ${filings.length} 条，时间为本机时间（${esc(localTime(new Date().toISOString(), true).replace(/^.*（/, '').replace('）', ''))}）。<a href="/filings?format=json">JSON 数据</a></p>
<table><tr><th>备案号</th><th>合同编号</th><th>方式</th><th>结果</th><th>签章（按先后）</th><th>文件</th><th>收到时间</th></tr>${rows || '<tr><td colspan="7">暂无备案</td></tr>'}</table></body></html>`;
}
