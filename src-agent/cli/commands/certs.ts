import type { CliCommand } from '../command.js';
import { stringOption } from '../args.js';
import { chainVerdict } from '../../service/chain-verdict.js';
import { localTime } from '../../util/local-time.js';
import { table } from '../table.js';

const KIND_ZH = { organization: '单位（公章）', personal: '个人', unknown: '未知' } as const;

/** `ca-assistant certs`: the user certificates on the keys. */
export const command: CliCommand = {
  name: 'certs',
  summaryZh: '列出 CA 锁中的证书',
  usage: '[--token ID] [--json]',
  options: { token: { type: 'string', descriptionZh: '只列出该 CA 锁（编号见 tokens）' } },
  async run(ctx) {
    const core = await ctx.core();
    const tokenId = stringOption(ctx.options, 'token');
    const entries = await core.certs.list(tokenId);
    const now = Date.now();
    const items = entries.map((e) => {
      const chain = chainVerdict(core.certs, e, new Date(now));
      return {
      id: e.token.id,
      tokenId: e.token.tokenId,
      kind: e.details.kind,
      subject: e.details.subject,
      issuer: e.details.issuer,
      serialNumber: e.details.serialNumber,
      notBefore: e.details.notBefore,
      notAfter: e.details.notAfter,
      keyUsage: e.details.keyUsage,
      keyAlgorithm: e.details.keyAlgorithm,
      fingerprintSha256: e.details.fingerprintSha256,
      hasPrivateKey: e.token.hasPrivateKey,
      chainTrusted: chain.trusted,
      chainValid: chain.valid,
      chain: chain.labelZh,
    };
    });
    if (ctx.json) {
      ctx.stdout.write(JSON.stringify({ certs: items }, null, 2) + '\n');
      return 0;
    }
    if (items.length === 0) {
      ctx.stdout.write('没有找到证书。请确认已插入 CA 锁，或用 tokens 命令查看 CA 锁是否被识别。\n');
      return 0;
    }
    const rows = items.map((c) => {
      const days = Math.floor((Date.parse(c.notAfter) - now) / 86_400_000);
      // The date in the computer's own time zone: a certificate ending 16:00 UTC ends the next day in Beijing.
      const until = localTime(c.notAfter).slice(0, 10);
      const validity = days < 0 ? `已过期（${until}）` : Date.parse(c.notBefore) > now ? '尚未生效' : `${until}（剩 ${days} 天）`;
      return [c.id, KIND_ZH[c.kind], c.subject, c.keyAlgorithm, validity, c.chain];
    });
    ctx.stdout.write(table(['证书编号', '类型', '主题', '算法', '有效期至', '证书链'], rows) + '\n');
    return 0;
  },
};
