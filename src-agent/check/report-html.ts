import type { CheckResult } from '../protocol/types.js';
import { localTime } from '../util/local-time.js';
import { loadedFacts } from './drivers.js';
import type { DiagnosticReport, ReportCert } from './report-data.js';
import { EXT_KEY_USAGE_ZH, keyUsageZh } from './types.js';

/** Escapes text for HTML element content and quoted attributes. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
const e = escapeHtml;

const STATUS_ZH: Record<CheckResult['status'], string> = { ok: '通过', warn: '警告', fail: '失败', skipped: '跳过' };

const CSS = `body{font-family:"Microsoft YaHei","PingFang SC","Noto Sans CJK SC",sans-serif;margin:24px;color:#222;font-size:14px}
h1{font-size:22px}h2{font-size:18px;border-bottom:2px solid #c00;padding-bottom:4px;margin-top:32px}h3{font-size:15px;margin:16px 0 6px}
table{border-collapse:collapse;width:100%;margin:6px 0}th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f4;white-space:nowrap}.ok{color:#080}.warn{color:#b60}.fail{color:#c00;font-weight:bold}.skipped{color:#888}
code,.mono{font-family:Consolas,monospace;font-size:12px;word-break:break-all}.remedy{color:#555}.muted{color:#888}
details{margin:8px 0}summary{cursor:pointer;color:#555}`;

function kv(rows: [string, string][]): string {
  return `<table>${rows.map(([k, v]) => `<tr><th>${e(k)}</th><td>${v}</td></tr>`).join('')}</table>`;
}

function certTable(c: ReportCert): string {
  const dn = (f: ReportCert['subjectFields']): string => f.map((x) => `${e(x.label)}：${e(x.value)}`).join('<br>');
  return kv([
    ['使用者', dn(c.subjectFields)],
    ['颁发者', dn(c.issuerFields)],
    ['序列号', `<span class="mono">${e(c.serialNumber)}</span>`],
    ['有效期', `${e(localTime(c.notBefore))} 至 ${e(localTime(c.notAfter, { zone: true }))}`],
    ['证书类型', e(c.kind === 'organization' ? '单位证书' : c.kind === 'personal' ? '个人证书' : '未知')],
    ['密钥算法', e(`${c.keyAlgorithm}${c.keyCurve ? ` ${c.keyCurve}` : ''} ${c.keySize} 位`)],
    ['签名算法', e(c.signatureAlgorithm)],
    ['密钥用途', c.keyUsagePresent ? e(keyUsageZh(c.keyUsage)) : '<span class="muted">未限制</span>'],
    ['扩展密钥用途', e(keyUsageZh(c.extKeyUsage, EXT_KEY_USAGE_ZH) || '无')],
    ['证书策略', e(c.policies.join('、') || '无')],
    ['CRL 分发点', c.crlDistributionPoints.map(e).join('<br>') || '无'],
    ['OCSP 地址', c.ocspUrls.map(e).join('<br>') || '无'],
    ['SHA-256 指纹', `<span class="mono">${e(c.fingerprintSha256)}</span>`],
  ]);
}

/** The self-contained support report: inline CSS, no script, no external assets; every value escaped. */
export function renderReportHtml(r: DiagnosticReport): string {
  const s = r.checks.summary;
  const row = (c: CheckResult): string => `<tr><td class="${e(c.status)}">${e(STATUS_ZH[c.status])}</td><td>${e(c.titleZh)}</td><td>${e(c.detailZh)}</td><td class="remedy">${e(c.status === 'ok' ? '' : c.remedyZh ?? '')}</td><td>${e(c.durationMs)} ms</td></tr>`;
  const head = '<tr><th>结果</th><th>检测项</th><th>详情</th><th>处理办法</th><th>耗时</th></tr>';
  // What needs attention first (失败, 警告, 跳过), the passed checks folded, as in the assistant window.
  const order: Record<CheckResult['status'], number> = { fail: 0, warn: 1, skipped: 2, ok: 3 };
  const attention = r.checks.checks.filter((c) => c.status !== 'ok').sort((a, b) => order[a.status] - order[b.status]);
  const passed = r.checks.checks.filter((c) => c.status === 'ok');
  const checks = `${attention.length ? `<table id="attention">${head}${attention.map(row).join('')}</table>` : '<p class="ok">全部检测项通过。</p>'}${passed.length ? `<details id="passed"${attention.length ? '' : ' open'}><summary>已通过的 ${passed.length} 项（点击展开）</summary><table>${head}${passed.map(row).join('')}</table></details>` : ''}`;
  const tokens = r.tokens.length === 0 ? '<p>未检测到 CA 锁。</p>' : r.tokens.map((t) => `<h3>CA 锁「${e(t.label)}」</h3>${kv([
    ['厂商 / 型号', e(`${t.manufacturer} / ${t.model}`)], ['序列号', e(t.serial)], ['驱动', `<span class="mono">${e(t.module)}</span>`],
    ['PIN 状态', e([t.pin.locked ? '已锁定' : '', t.pin.finalTry ? '最后一次机会' : '', t.pin.countLow ? '曾输错' : '', t.pin.toBeChanged ? '需修改' : ''].filter(Boolean).join('、') || '正常')],
    ['登录状态', t.loggedIn ? '已登录' : '未登录'],
  ])}${t.certificates.map((c) => `<h3>证书：${e(c.subjectFields.find((f) => f.label.startsWith('名称'))?.value ?? c.subject)}</h3>${certTable(c)}<p>私钥：${c.hasPrivateKey === true ? '有' : c.hasPrivateKey === false ? '<span class="fail">无</span>' : '未知（未登录）'}</p>`).join('')}`).join('');
  const chains = r.tokens.flatMap((t) => t.certificates).map((c) => `<h3>${e(c.subject)}</h3><p>${c.chainTrusted ? '<span class="ok">可信（追溯到受信任的根证书）</span>' : `<span class="fail">不可信：${e(c.chainProblems.join('；'))}</span>`}</p>${c.chain.map((x, i) => `<p class="muted">第 ${i + 2} 级</p>${certTable(x)}`).join('')}`).join('') || '<p>无。</p>';
  const modules = r.modules.map((m) => `<h3 class="mono">${e(m.path)}</h3>${kv([
    ['状态', m.loaded ? '<span class="ok">已加载</span>' : m.duplicateOf ? `<span class="ok">与 ${e(m.duplicateOf)} 是同一驱动文件，只加载一次</span>` : `<span class="fail">加载失败：${e(m.errorZh ?? m.reason ?? '')}</span>`],
    ...(m.loaded ? [['驱动信息', e(loadedFacts(m).join('，'))] as [string, string]] : []),
    ...(m.description?.trim() ? [['描述', e(m.description.trim())] as [string, string]] : []),
  ])}${(m.slots ?? []).map((sl) => `<p>插槽 ${e(sl.slotId)}：${e(sl.description)}（${sl.tokenPresent ? '有 CA 锁' : '空'}）</p><p class="mono">${e(sl.mechanisms.join(' '))}</p>`).join('')}`).join('') || '<p>无驱动。</p>';
  const keys = r.keys.length === 0 ? '<p>无。</p>' : `<table><tr><th>CA 锁</th><th>厂商 / 序列号</th><th>经由的驱动</th></tr>${r.keys.map((k) => `<tr><td>${e(k.label)}</td><td>${e(`${k.manufacturer} / ${k.serial}`)}</td><td>${k.drivers.map((d) => `<span class="mono">${e(d.module)}</span>${d.kept ? '（使用）' : '（同一把锁，未重复列出）'}`).join('<br>')}</td></tr>`).join('')}</table>`;
  const errors = r.recentErrors.length === 0 ? '<p>无。</p>' : `<table><tr><th>时间</th><th>级别</th><th>模块</th><th>内容</th></tr>${r.recentErrors.map((x) => {
    const { time, level, scope, msg, ...rest } = x;
    return `<tr><td>${e(localTime(time, { seconds: true }))}</td><td>${e(level)}</td><td>${e(scope)}</td><td>${e(msg)} <span class="mono muted">${e(JSON.stringify(rest))}</span></td></tr>`;
  }).join('')}</table>`;
  const trace = r.trace ? `<h2>PKCS#11 调用跟踪</h2><table><tr><th>驱动</th><th>函数</th><th>参数</th><th>返回值</th><th>耗时</th></tr>${r.trace.map((x) => `<tr><td class="mono">${e(x.module)}</td><td class="mono">${e(x.fn)}</td><td class="mono">${e(x.args)}</td><td class="mono">${e(x.rv)}</td><td>${e(x.ms)} ms</td></tr>`).join('')}</table>` : '';
  return `<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>互认助手诊断报告</title><style>${CSS}</style></head><body>
<h1>互认助手诊断报告</h1><p>生成时间 ${e(localTime(r.generatedAt, { zone: true }))}，互认助手版本 ${e(r.checks.version)}。本报告不含 PIN 码和私钥${r.personalIdsMasked === false ? '；<strong>含个人证件号码</strong>（生成时选择了包含），请只发给技术支持' : '；个人证件号码只保留末 4 位'}。</p>
<h2>检测结果</h2><p>通过 ${s.ok}，警告 ${s.warn}，失败 ${s.fail}，跳过 ${s.skipped}</p>${checks}
<h2>证书详情</h2>${tokens}<h2>证书链</h2>${chains}<h2>驱动与插槽</h2>${modules}<h2>CA 锁与驱动</h2>${keys}<h2>最近错误</h2>${errors}${trace}
</body></html>`;
}
