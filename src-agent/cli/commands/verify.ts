import { readFile } from 'node:fs/promises';
import { verifyCms } from '../../pki/index.js';
import { loadTrustStore } from '../../service/trust-store.js';
import { stringOption } from '../args.js';
import { EXIT_FAILED, UsageError, type CliCommand } from '../command.js';
import { hashOptions } from '../hash-option.js';

/** How the validity time was chosen, as the CLI says it. */
const VALIDITY_SOURCE_ZH = { now: '验证时刻', timestamp: '可信时间戳的时间', signingTime: '签名者自述的签名时间' } as const;

/** Largest signature file read, bytes (default 1 MiB). */
const MAX_SIGNATURE_FILE_BYTES = 1024 * 1024;

/** `ca-assistant verify`: checks a detached CMS against a hash and the configured trust anchors. */
export const command: CliCommand = {
  name: 'verify',
  summaryZh: '验证 CMS/PKCS#7 签名（对照摘要和受信任根证书）',
  usage: '--in FILE --hash HEX [--alg sha256|sm3] [--json]',
  options: {
    in: { type: 'string', descriptionZh: '签名文件（DER 格式的 .p7s）' },
    hash: { type: 'string', descriptionZh: '被签名内容的摘要（十六进制）' },
    alg: { type: 'string', descriptionZh: '摘要算法：sha256（默认）、sha384、sha512；国密 SM2 签名用 sm3' },
  },
  async run(ctx) {
    const file = stringOption(ctx.options, 'in', true);
    const { hash, hashAlgorithm } = hashOptions(ctx.options);
    let signature: Buffer;
    try {
      signature = await readFile(file);
    } catch {
      throw new UsageError(`无法读取签名文件：${file}`);
    }
    if (signature.length > MAX_SIGNATURE_FILE_BYTES) throw new UsageError(`签名文件过大：${file}`);
    const trust = await loadTrustStore(ctx.config.trustAnchors, ctx.config.intermediates, ctx.config.timestamp.trustAnchors);
    const result = await verifyCms({ signature, hash, hashAlgorithm, trustAnchors: trust.anchors, intermediates: trust.intermediates, tsaAnchors: trust.tsaAnchors, sm2UserId: ctx.config.sm2UserId });
    if (ctx.json) {
      const b64 = (chain: Buffer[]) => chain.map((c) => c.toString('base64'));
      const { chain, signers, ...rest } = result;
      const out = { ...rest, chain: b64(chain), signers: signers.map((s) => ({ ...s, chain: b64(s.chain) })) };
      ctx.stdout.write(JSON.stringify(out, null, 2) + '\n');
    } else {
      ctx.stdout.write(`签名：${result.valid ? '有效' : '无效'}\n`);
      for (const [i, s] of result.signers.entries()) {
        if (result.signers.length > 1) ctx.stdout.write(`签名者 ${i + 1}：${s.valid ? '有效' : '无效'}，证书链${s.chainTrusted ? '可信' : '不可信'}\n`);
        if (s.signer) ctx.stdout.write(`签名者：${s.signer.subject}\n颁发者：${s.signer.issuer}\n`);
        if (s.signingTime) ctx.stdout.write(`签名时间（签名者自述）：${s.signingTime}\n`);
        if (s.timestamp) ctx.stdout.write(s.timestamp.valid ? `可信时间戳：${s.timestamp.time}（${s.timestamp.tsa ?? ''}）\n` : `可信时间戳：无效（${s.timestamp.problems.map((p) => p.zh).join('；')}）\n`);
      }
      ctx.stdout.write(`有效期判断时刻：${result.validityTime.time}（${VALIDITY_SOURCE_ZH[result.validityTime.source]}）\n`);
      ctx.stdout.write(`证书链：${result.chainTrusted ? '可信' : '不可信'}\n`);
      for (const p of result.problems) ctx.stdout.write(`问题：${p.zh}\n`);
    }
    return result.valid && result.chainTrusted ? 0 : EXIT_FAILED;
  },
};
