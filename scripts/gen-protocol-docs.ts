/**
 * Generates docs/protocol-reference.md from the method table, the schemas and
 * the reasons table. `node bin/run-ts.mjs scripts/gen-protocol-docs.ts` writes
 * the file; `--check` exits 1 when the committed file is out of date.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { z } from 'zod';
import { CLIENT_REASONS } from '../sdk/src/client-reasons.js';
import { EVENTS, METHODS, METHOD_NAMES } from '../src-agent/protocol/methods.js';
import { INVALID_REQUEST, PARSE_ERROR } from '../src-agent/protocol/jsonrpc.js';
import { REASONS, REASON_NAMES } from '../src-agent/protocol/reasons.js';
import type { EventName } from '../src-agent/protocol/types.js';

export const DOC_PATH = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'protocol-reference.md');

interface JsonSchemaNode {
  type?: string;
  enum?: unknown[];
  const?: unknown;
  description?: string;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  properties?: Record<string, JsonSchemaNode>;
  required?: string[];
}

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function typeOf(node: JsonSchemaNode): string {
  if (node.enum) return node.enum.map((v) => `\`${JSON.stringify(v)}\``).join(' | ');
  if (node.type === 'object') return `{${Object.keys(node.properties ?? {}).join(', ')}}`;
  const limits = [
    node.minLength !== undefined ? `≥${node.minLength}` : '',
    node.maxLength !== undefined ? `≤${node.maxLength}` : '',
  ].filter(Boolean);
  return `${node.type ?? 'any'}${limits.length ? ` (${limits.join(', ')})` : ''}`;
}

/** Table rows for an object schema, nested objects flattened as `a.b`. */
function paramRows(node: JsonSchemaNode, prefix = ''): string[] {
  const required = new Set(node.required ?? []);
  return Object.entries(node.properties ?? {}).flatMap(([name, child]) => [
    `| \`${prefix}${name}\` | ${cell(typeOf(child))} | ${required.has(name) ? '是' : '否'} | ${cell(child.description ?? '')} |`,
    ...(child.type === 'object' ? paramRows(child, `${prefix}${name}.`) : []),
  ]);
}

const json = (value: unknown): string => ['```json', JSON.stringify(value, null, 2), '```'].join('\n');

function renderMethods(): string[] {
  return METHOD_NAMES.flatMap((name, index) => {
    const spec = METHODS[name];
    const schema = z.toJSONSchema(spec.params) as JsonSchemaNode;
    const rows = paramRows(schema);
    const access = spec.access === 'public' ? '任何网站' : spec.access === 'trusted' ? '仅受信任网站（trustedOrigins）；其他网站即使已获授权也返回 ORIGIN_NOT_ALLOWED，不弹授权窗口' : '受信任网站，或经用户在互认助手中授权的网站';
    return [
      `### \`${name}\``,
      '',
      spec.descriptionZh,
      '',
      `*${spec.descriptionEn}*`,
      '',
      `- 调用权限：${access}`,
      `- 使用私钥（可能弹出 PIN 窗口）：${spec.needsKey ? '是' : '否'}`,
      `- 可能弹出互认助手窗口：${spec.interactive ? '是' : spec.access === 'public' ? '否' : '否（未授权网站首次调用时弹出授权窗口）'}`,
      '',
      ...(rows.length
        ? ['| 参数 | 类型 | 必填 | 说明 |', '|---|---|---|---|', ...rows]
        : ['无参数（`params` 可省略或为 `{}`；任何字段都会被拒绝）。']),
      '',
      '请求示例：',
      '',
      json({ jsonrpc: '2.0', id: index + 1, method: name, params: spec.example.params }),
      '',
      '响应示例（`…` 表示省略）：',
      '',
      json({ jsonrpc: '2.0', id: index + 1, result: spec.example.result }),
      '',
    ];
  });
}

function renderEvents(): string[] {
  return (Object.keys(EVENTS) as EventName[]).flatMap((name) => [
    `### \`${name}\``,
    '',
    EVENTS[name].descriptionZh,
    '',
    `*${EVENTS[name].descriptionEn}*`,
    '',
    json({ jsonrpc: '2.0', method: name, params: EVENTS[name].example }),
    '',
  ]);
}

function renderReasons(): string[] {
  return [
    '| reason | code | 提示 | 处理办法 | English |',
    '|---|---|---|---|---|',
    ...REASON_NAMES.map((name) => {
      const r = REASONS[name];
      return `| \`${name}\` | ${r.code} | ${cell(r.zh)} | ${cell(r.remedyZh)} | ${cell(r.en)} — ${cell(r.remedyEn)} |`;
    }),
  ];
}

function renderClientReasons(): string[] {
  return [
    '| reason | code | 提示 | 处理办法 | English |',
    '|---|---|---|---|---|',
    ...Object.entries(CLIENT_REASONS).map(
      ([name, r]) => `| \`${name}\` | ${r.code} | ${cell(r.zh)} | ${cell(r.remedyZh)} | ${cell(r.en)} — ${cell(r.remedyEn)} |`,
    ),
  ];
}

/** The whole reference document. */
export function renderProtocolReference(): string {
  const lines = [
    '# 互认助手本地接口参考（协议 v1）',
    '',
    '<!-- 由 scripts/gen-protocol-docs.ts 生成，请勿手工编辑。 -->',
    '',
    '连接 `ws://127.0.0.1:21518/`（端口可配置），文本帧，JSON-RPC 2.0，每帧一个请求（不支持批量）。',
    '请求须带 `jsonrpc:"2.0"`、`id`（字符串或安全整数）、`method`，`params` 为对象或省略；其他字段一律拒绝。',
    '互认助手主动发送的事件为不带 `id` 的通知。参数中出现未定义的字段会被拒绝（`BAD_REQUEST`）。',
    '',
    '## 方法',
    '',
    ...renderMethods(),
    '## 事件',
    '',
    ...renderEvents(),
    '## 错误',
    '',
    '错误响应：`{"jsonrpc":"2.0","id":…,"error":{"code":…,"message":"中文提示","data":{"reason":"…","remedy":"中文处理办法","messageEn":"…","remedyEn":"…"}}}`。',
    '`data.reason` 是稳定的，请按它判断；`PIN_INCORRECT` 附带 `retriesLeft`，`MODULE_FAILED` 附带 `ckr`，`BAD_REQUEST` 可附带 `issues`（出错的参数路径）。',
    `帧本身无效时 \`code\` 为 ${PARSE_ERROR}（不是 JSON）或 ${INVALID_REQUEST}（不是合法的单个请求），\`data.reason\` 为 \`BAD_REQUEST\`。`,
    '',
    ...renderReasons(),
    '',
    '### SDK 在本地产生的错误',
    '',
    '这些错误不来自互认助手，而是 SDK 在连接失败、超时或断线时产生的。',
    '',
    ...renderClientReasons(),
    '',
  ];
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const text = renderProtocolReference();
  if (process.argv.includes('--check')) {
    const current = readFileSync(DOC_PATH, 'utf8');
    if (current !== text) {
      console.error('docs/protocol-reference.md is out of date; run: node bin/run-ts.mjs scripts/gen-protocol-docs.ts');
      process.exit(1);
    }
  } else {
    writeFileSync(DOC_PATH, text);
    console.log(`wrote ${DOC_PATH}`);
  }
}
