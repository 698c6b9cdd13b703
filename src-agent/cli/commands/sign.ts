import { writeFile } from 'node:fs/promises';
import { createSigning } from '../../service/signing/index.js';
import type { UiPort } from '../../ui/port.js';
import { stringOption } from '../args.js';
import { UsageError, type CliCommand } from '../command.js';
import { hashOptions } from '../hash-option.js';
import { readPin } from '../pin-input.js';

/** `ca-assistant sign`: signs a hash with a certificate's key (PIN from the TTY or stdin). */
export const command: CliCommand = {
  name: 'sign',
  summaryZh: '用证书对摘要签名（输出 CMS/PKCS#7 或原始签名）',
  usage: '--cert ID --hash HEX [--alg sha256|sm3] [--format cms|raw] [--profile cms|gmt0010] --out FILE [--pin-stdin]',
  options: {
    cert: { type: 'string', descriptionZh: '证书编号（见 certs）' },
    hash: { type: 'string', descriptionZh: '待签名的摘要（十六进制）' },
    alg: { type: 'string', descriptionZh: '摘要算法：sha256（默认）、sha384、sha512；国密 SM2 证书用 sm3' },
    format: { type: 'string', descriptionZh: 'cms（默认，.p7s）或 raw' },
    profile: { type: 'string', descriptionZh: 'CMS 编码：cms（默认，标准 OID）或 gmt0010（GM/T 0010 国密 OID，仅 SM2 证书）' },
    out: { type: 'string', descriptionZh: '输出文件' },
    'pin-stdin': { type: 'flag', descriptionZh: '从标准输入读取 PIN（一行）' },
  },
  async run(ctx) {
    const certId = stringOption(ctx.options, 'cert', true);
    const out = stringOption(ctx.options, 'out', true);
    const format = stringOption(ctx.options, 'format') ?? 'cms';
    if (format !== 'cms' && format !== 'raw') throw new UsageError(`--format 只能是 cms 或 raw：${format}`);
    const profile = stringOption(ctx.options, 'profile');
    if (profile !== undefined && profile !== 'cms' && profile !== 'gmt0010') throw new UsageError(`--profile 只能是 cms 或 gmt0010：${profile}`);
    const { hash, hashAlgorithm } = hashOptions(ctx.options);
    const core = await ctx.core();
    // The terminal is this command's PIN dialog: asked once (a wrong PIN ends the command), never echoed.
    const terminal: UiPort = {
      askPin: async (request) => {
        if (request.pin.finalTry) ctx.stderr.write('警告：这是最后一次输入机会，再输错 CA 锁将被锁定！\n');
        return { kind: 'pin', pin: await readPin(ctx.stdin, ctx.stderr, ctx.options['pin-stdin'] === true) };
      },
      askConsent: async () => 'deny',
      notify: () => undefined,
    };
    const signing = createSigning(core, { ui: terminal, policy: { maxPinAttempts: 1 } });
    let result;
    try {
      result = await signing.sign({ kind: 'user', channel: 'cli' }, { method: 'cli.sign', certId, payload: { hash, hashAlgorithm }, format, ...(profile ? { profile } : {}) });
    } finally {
      await signing.close();
    }
    await writeFile(out, result.signature);
    if (ctx.json) ctx.stdout.write(JSON.stringify({ out, format: result.format, signatureAlgorithm: result.signatureAlgorithm, bytes: result.signature.length }) + '\n');
    else ctx.stdout.write(`已签名：${out}（${result.format === 'cms' ? 'CMS/PKCS#7' : '原始签名'}，${result.signatureAlgorithm}，${result.signature.length} 字节）\n`);
    return 0;
  },
};
