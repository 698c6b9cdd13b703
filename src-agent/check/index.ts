/** 环境检测 and the support report. */
export { runChecks, CHECK_GROUPS } from './runner.js';
export type { RunChecksOptions, CheckProgress, BrowserSeen, CheckGroup } from './types.js';
export { writeReport } from './diagnose.js';
export { collectReport } from './report-data.js';
export type { DiagnosticReport } from './report-data.js';
export { renderReportHtml, escapeHtml } from './report-html.js';
export { probeService, SERVICE_PROBE_TIMEOUT_MS } from './service.js';
export { portOwner, parseSs, parseNetstat } from './port-owner.js';
export { assistantVersion, CLOCK_SKEW_TOLERANCE_MS } from './system.js';
export { EXPIRY_WARNING_DAYS } from './certificates.js';
