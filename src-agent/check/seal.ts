import { toAssistantError } from '../protocol/errors.js';
import type { CheckContext, CheckGroup } from './types.js';
import { certName, isEncryptionCert } from './types.js';

const MIME_NAMES: Record<string, string> = { 'image/png': 'PNG', 'image/jpeg': 'JPEG', 'image/gif': 'GIF', 'image/bmp': 'BMP' };

async function run(ctx: CheckContext): Promise<void> {
  let any = false;
  for (const token of ctx.tokens) {
    for (const entry of await ctx.entries(token.id)) {
      if (isEncryptionCert(entry)) continue; // seals go with signing certificates
      const org = entry.details.kind === 'organization';
      const name = certName(entry);
      const base = { id: `seal:${entry.token.id}`, titleZh: `${name} ${org ? '公章' : '签章'}图片`, titleEn: `Seal image of ${name}`, data: { certId: entry.token.id } as Record<string, unknown> };
      try {
        const seal = await ctx.core.certs.seal(entry);
        if (!seal) {
          if (!org) continue; // a personal 签章 image is optional
          any = true;
          ctx.emit({
            ...base, status: 'fail', detailZh: 'CA 锁中没有公章图片，商城无法盖章', detailEn: 'No seal image for the organization certificate',
            remedyZh: '请联系发证机构将单位公章图片写入 CA 锁（电子印章制作），或由技术支持在互认助手配置中指定公章图片。',
            remedyEn: 'Ask the certificate authority to write the seal image to the key, or configure one.',
          });
          continue;
        }
        any = true;
        const size = seal.widthMm && seal.heightMm ? `，尺寸 ${seal.widthMm}×${seal.heightMm} 毫米` : '，图片未记录物理尺寸';
        ctx.emit({
          ...base, status: 'ok', detailZh: `${MIME_NAMES[seal.mime] ?? seal.mime} 图片可正常读取${size}（来源：${seal.source === 'token' ? 'CA 锁' : '助手配置'}）`,
          detailEn: `${seal.mime} decodes${seal.widthMm ? `, ${seal.widthMm}x${seal.heightMm} mm` : ''} (${seal.source})`,
          data: { ...base.data, mime: seal.mime, widthMm: seal.widthMm, heightMm: seal.heightMm, source: seal.source, bytes: seal.data.length },
        });
      } catch (error) {
        any = true;
        const e = toAssistantError(error);
        ctx.emit({
          ...base, status: 'fail', detailZh: e.details.detailZh ?? '印章图片已损坏或格式不支持', detailEn: 'The seal image cannot be decoded',
          remedyZh: '请联系发证机构重新写入印章图片。', remedyEn: 'Ask the certificate authority to write the seal image again.',
        });
      }
    }
  }
  if (!any) ctx.emit({ id: 'seal', titleZh: '印章图片', titleEn: 'Seal images', status: 'skipped', detailZh: '没有单位证书，无需检查公章图片', detailEn: 'No organization certificate' });
}

/** The organization certificate has a seal image that decodes; its size in mm. */
export const sealChecks: CheckGroup = { id: 'seal', titleZh: '印章', category: 'seal', run };
