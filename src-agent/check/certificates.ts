import { keyUsageAllowsSigning } from '../pki/index.js';
import type { CertEntry } from '../service/cert-service.js';
import type { CheckContext, CheckGroup, Outcome } from './types.js';
import { localTime } from '../util/local-time.js';
import { certName, isEncryptionCert, keyUsageZh, shortTime, tokenName } from './types.js';

/** A certificate expiring within this many days is a warning (default 30). */
export const EXPIRY_WARNING_DAYS = 30;
const DAY_MS = 24 * 3600 * 1000;

/** Validity of one certificate at `now`. */
export function validityOutcome(entry: CertEntry, now: Date): Outcome {
  const name = certName(entry);
  const { notBefore, notAfter } = entry.details;
  const base = { id: `cert.validity:${entry.token.id}`, titleZh: `${name} 有效期`, titleEn: `Validity of ${name}`, data: { certId: entry.token.id, notBefore, notAfter } };
  const range = `${localTime(notBefore)} 至 ${shortTime(notAfter)}`;
  const renew = { remedyZh: '请联系发证机构（CA）办理证书更新（续期），更新后重新检测。', remedyEn: 'Renew the certificate with the certificate authority.' };
  if (now.getTime() > Date.parse(notAfter)) return { ...base, status: 'fail', detailZh: `证书已过期（有效期 ${range}）`, detailEn: `Expired (valid ${notBefore} to ${notAfter})`, ...renew };
  if (now.getTime() < Date.parse(notBefore))
    return {
      ...base, status: 'fail', detailZh: `证书尚未生效（有效期 ${range}）`, detailEn: `Not yet valid (valid ${notBefore} to ${notAfter})`,
      remedyZh: '请核对电脑日期时间是否正确；如时间正确，请等证书生效后再使用。', remedyEn: 'Check the computer clock; otherwise wait until the certificate is valid.',
    };
  const days = Math.floor((Date.parse(notAfter) - now.getTime()) / DAY_MS);
  if (days < EXPIRY_WARNING_DAYS) return { ...base, status: 'warn', detailZh: `证书将在 ${days} 天后过期（${shortTime(notAfter)}）`, detailEn: `Expires in ${days} days`, ...renew };
  return { ...base, status: 'ok', detailZh: `有效期 ${range}，还有 ${days} 天`, detailEn: `Valid, ${days} days left` };
}

/** `pairedWithSigning`: the token also holds a signing certificate, so an encryption certificate beside it is expected. */
function usageOutcome(entry: CertEntry, pairedWithSigning: boolean): Outcome {
  const name = certName(entry);
  const base = { id: `cert.usage:${entry.token.id}`, titleZh: `${name} 密钥用途`, titleEn: `Key usage of ${name}`, data: { keyUsage: entry.details.keyUsage } };
  if (!entry.details.keyUsagePresent) return { ...base, status: 'ok', detailZh: '证书未限制密钥用途', detailEn: 'No KeyUsage extension (any use)' };
  const ku = entry.details.keyUsage;
  if (keyUsageAllowsSigning(ku)) return { ...base, status: 'ok', detailZh: `可用于签名（${keyUsageZh(ku)}）`, detailEn: `Signing allowed (${ku.join(', ')})` };
  if (pairedWithSigning && isEncryptionCert(entry))
    return { ...base, status: 'ok', detailZh: `加密证书（${keyUsageZh(ku)}），仅用于加密，签章使用同一 CA 锁中的签名证书`, detailEn: `Encryption certificate (${ku.join(', ')}); the signing certificate beside it signs`, data: { ...base.data, encryption: true } };
  return {
    ...base, status: 'fail', detailZh: `该证书不能用于签名（用途仅为 ${keyUsageZh(ku) || '无'}），可能是加密证书`, detailEn: `Not a signing certificate (${ku.join(', ')})`,
    remedyZh: '签章需使用签名证书；请确认 CA 锁内是否有签名证书，或联系发证机构。', remedyEn: 'Signing needs a signature certificate; contact the certificate authority.',
  };
}

function chainOutcome(ctx: CheckContext, entry: CertEntry): Outcome {
  const name = certName(entry);
  const base = { id: `cert.chain:${entry.token.id}`, titleZh: `${name} 证书链`, titleEn: `Chain of ${name}` };
  const result = ctx.core.certs.chain(entry);
  const data = { certId: entry.token.id, trusted: result.trusted, length: result.chain.length, problems: result.problems.map((p) => p.code) };
  if (result.trusted) return { ...base, status: 'ok', detailZh: `证书链完整，可追溯到受信任的根证书（共 ${result.chain.length} 级）`, detailEn: 'The chain reaches a trust anchor', data };
  const noAnchors = ctx.core.trust.anchors.length === 0;
  return {
    ...base, status: noAnchors ? 'warn' : 'fail',
    detailZh: `${result.problems.map((p) => p.zh).join('；') || '证书链不完整'}${noAnchors ? '（互认助手未配置受信任的根证书）' : ''}`,
    detailEn: result.problems.map((p) => p.en).join('; ') || 'The chain is incomplete',
    remedyZh: noAnchors ? '请安装发证机构的根证书（或重新安装互认助手以恢复默认根证书配置）。' : '请安装发证机构提供的根证书和中级证书（证书链），或联系发证机构；如使用的 CA 不在商城互认范围内，请更换为互认 CA 的证书。',
    remedyEn: noAnchors ? 'Install the CA root certificate.' : 'Install the CA root and intermediate certificates, or contact the certificate authority.',
    data,
  };
}

/** The certificate's private key as known before login. */
export function keyOutcome(entry: CertEntry): Outcome {
  const name = certName(entry);
  const base = { id: `cert.key:${entry.token.id}`, titleZh: `${name} 私钥`, titleEn: `Private key of ${name}`, data: { certId: entry.token.id, hasPrivateKey: entry.token.hasPrivateKey } };
  if (entry.token.hasPrivateKey === true) return { ...base, status: 'ok', detailZh: 'CA 锁中有与证书对应的私钥', detailEn: 'A matching private key is on the token' };
  if (entry.token.hasPrivateKey === false)
    return {
      ...base, status: 'fail', detailZh: 'CA 锁中没有与该证书对应的私钥，无法用它签章', detailEn: 'No matching private key on the token',
      remedyZh: '请联系发证机构重新写入证书或更换 CA 锁。', remedyEn: 'Contact the certificate authority to re-issue the certificate.',
    };
  return { ...base, status: 'skipped', detailZh: '私钥需登录（输入 PIN）后才能确认，见“PIN 与密钥对”检测', detailEn: 'Private keys show only after login; see the PIN and key pair checks' };
}

async function run(ctx: CheckContext): Promise<void> {
  let any = false;
  for (const token of ctx.tokens) {
    const entries = await ctx.entries(token.id);
    if (entries.length === 0) {
      ctx.emit({
        id: `cert.none:${token.id}`, titleZh: `「${tokenName(token)}」证书`, titleEn: `Certificates on "${tokenName(token)}"`, status: 'fail',
        detailZh: 'CA 锁中没有可用的证书', detailEn: 'No user certificate on the token',
        remedyZh: '请联系发证机构确认证书是否已写入该 CA 锁。', remedyEn: 'Ask the certificate authority whether a certificate was written to the key.',
      });
      continue;
    }
    const paired = entries.some((e) => !isEncryptionCert(e));
    for (const entry of entries) {
      any = true;
      const encryption = paired && isEncryptionCert(entry);
      ctx.emit(validityOutcome(entry, ctx.now));
      ctx.emit(usageOutcome(entry, paired));
      ctx.emit(chainOutcome(ctx, entry));
      // An encryption certificate never signs: whether its key signs is no question (SKF reports none).
      if (encryption) continue;
      // Unknown before login: the PIN checks settle it when they will run.
      if (entry.token.hasPrivateKey !== null || !ctx.options.pin) ctx.emit(keyOutcome(entry));
    }
  }
  if (!any && ctx.tokens.length === 0)
    ctx.emit({ id: 'cert.none', titleZh: '证书', titleEn: 'Certificates', status: 'skipped', detailZh: '未检测到 CA 锁，无法检查证书', detailEn: 'No token, no certificate to check' });
}

/** Validity, key usage, chain and private key of every user certificate. */
export const certificateChecks: CheckGroup = { id: 'certificate', titleZh: '证书', category: 'certificate', run };
