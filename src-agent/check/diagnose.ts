import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CheckReport } from '../protocol/types.js';
import type { AgentCore } from '../service/agent-core.js';
import { collectReport } from './report-data.js';
import { renderReportHtml } from './report-html.js';

/**
 * Writes `report.json` and a self-contained `report.html` into `dir` (created
 * when missing). `trace` adds the PKCS#11 call trace (the core must have been
 * started with `trace: true`); personal ID numbers are masked unless
 * `includePersonalIds`. Returns the two paths.
 */
export async function writeReport(dir: string, input: { core: AgentCore; report: CheckReport; trace?: boolean; includePersonalIds?: boolean }): Promise<{ json: string; html: string }> {
  const data = await collectReport(input.core, input.report, input.trace ?? false, input.includePersonalIds ?? false);
  await mkdir(dir, { recursive: true });
  const json = join(dir, 'report.json');
  const html = join(dir, 'report.html');
  await writeFile(json, JSON.stringify(data, null, 2) + '\n', { mode: 0o600 });
  await writeFile(html, renderReportHtml(data), { mode: 0o600 });
  return { json, html };
}
