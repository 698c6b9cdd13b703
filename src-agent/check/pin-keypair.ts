import { createHash, createPublicKey, randomBytes, verify } from 'node:crypto';
import { readCertParts } from '../pki/cert-parts.js';
import { sm2Digest, sm2PublicPoint, sm2Verify } from '../pki/index.js';
import { REASONS, toAssistantError } from '../protocol/errors.js';
import type { CertEntry } from '../service/cert-service.js';
import type { TokenInfo } from '../tokens/types.js';
import type { CheckContext, CheckGroup, Outcome } from './types.js';
import { certName, isEncryptionCert, tokenName } from './types.js';

/**
 * Signs a digest of random data with the certificate's key on the token,
 * through the signing use case (audited as a test signature), and verifies it
 * with the certificate's public key. True when the key matches.
 * RSA/EC sign sha256(data); SM2 signs e = SM3(Z ‖ data) (raw format, default signer id), verified over data.
 */
export async function proveKeyPair(ctx: CheckContext, entry: CertEntry): Promise<boolean> {
  const data = randomBytes(32);
  const sm2 = entry.details.keyAlgorithm === 'SM2';
  const { spki } = readCertParts(entry.token.der).publicKey;
  const hash = sm2 ? sm2Digest(sm2PublicPoint(spki), data) : createHash('sha256').update(data).digest();
  const { signature } = await ctx.signing().sign(
    ctx.options.requester ?? { kind: 'user', channel: 'check' },
    { method: 'check.keypair', certId: entry.token.id, payload: { hash, hashAlgorithm: sm2 ? 'sm3' : 'sha256' }, format: 'raw', test: true },
  );
  if (sm2) return sm2Verify(spki, data, signature);
  const key = createPublicKey(entry.details.publicKeyPem);
  if (entry.details.keyAlgorithm === 'RSA') return verify('sha256', data, key, signature);
  // The token layer returns DER; accept the bare r||s form too.
  return verify('sha256', data, { key, dsaEncoding: signature[0] === 0x30 ? 'der' : 'ieee-p1363' }, signature);
}

function loginFailure(token: TokenInfo, error: unknown): Outcome {
  const e = toAssistantError(error);
  const base = { id: `pin.login:${token.id}`, titleZh: `「${tokenName(token)}」PIN 验证`, titleEn: `PIN of "${tokenName(token)}"`, data: { tokenId: token.id, reason: e.reason, ...(e.details.retriesLeft !== undefined ? { retriesLeft: e.details.retriesLeft } : {}) } };
  if (e.reason === 'PIN_INCORRECT') {
    const left = e.details.retriesLeft;
    const tries = left !== undefined ? `，还剩 ${left} 次机会` : e.details.countLow ? '，剩余次数已不多' : '';
    return {
      ...base, status: 'fail', detailZh: `PIN 码错误${tries}`, detailEn: `Wrong PIN${left !== undefined ? `, ${left} tries left` : ''}`,
      remedyZh: `请核对 PIN 码（注意大小写和输入法）后重新检测${left === 1 ? '；只剩最后一次机会，不确定时请先联系发证机构' : ''}。连续输错将锁定 CA 锁。`,
      remedyEn: 'Check the PIN and run the check again; repeated wrong PINs lock the key.',
    };
  }
  if (e.reason === 'PIN_LOCKED')
    return { ...base, status: 'fail', detailZh: 'PIN 码已锁定', detailEn: 'The PIN is locked', remedyZh: '请携带 CA 锁到发证机构解锁。', remedyEn: 'Take the key to the certificate authority to unlock it.' };
  return { ...base, status: 'fail', detailZh: `登录失败：${e.details.detailZh ?? REASONS[e.reason].zh}`, detailEn: `Login failed (${e.reason})`, remedyZh: REASONS[e.reason].remedyZh, remedyEn: REASONS[e.reason].remedyEn };
}

async function checkToken(ctx: CheckContext, token: TokenInfo): Promise<void> {
  const name = tokenName(token);
  const base = { id: `pin.login:${token.id}`, titleZh: `「${name}」PIN 验证`, titleEn: `PIN of "${name}"`, data: { tokenId: token.id } };
  if (token.pin.locked) {
    ctx.emit({ ...base, status: 'fail', detailZh: 'PIN 码已锁定，为保护 CA 锁未尝试登录', detailEn: 'The PIN is locked; login was not attempted', remedyZh: '请携带 CA 锁到发证机构解锁。', remedyEn: 'Take the key to the certificate authority to unlock it.' });
    return;
  }
  const current = ctx.core.tokens.tokens().find((t) => t.id === token.id);
  if (!current?.loggedIn) {
    if (!ctx.options.pin) {
      ctx.emit({ ...base, status: 'skipped', detailZh: '未输入 PIN，跳过 PIN 与密钥对检测', detailEn: 'No PIN given; PIN and key pair checks skipped' });
      return;
    }
    const pin = await ctx.options.pin(current ?? token);
    if (!pin) {
      ctx.emit({ ...base, status: 'skipped', detailZh: '用户未输入 PIN（已取消），跳过 PIN 与密钥对检测', detailEn: 'PIN entry cancelled; checks skipped' });
      return;
    }
    try {
      await ctx.core.tokens.login(token.id, pin);
    } catch (error) {
      ctx.emit(loginFailure(token, error));
      return;
    } finally {
      pin.fill(0);
    }
    ctx.options.onLogin?.(token.id);
    ctx.emit({ ...base, status: 'ok', detailZh: 'PIN 正确，已登录 CA 锁（商城签章时无需再次输入，空闲一段时间后自动退出）', detailEn: 'PIN accepted; the token stays logged in' });
  } else {
    ctx.emit({ ...base, status: 'ok', detailZh: 'CA 锁已处于登录状态', detailEn: 'The token is already logged in' });
  }

  for (const entry of await ctx.entries(token.id, true)) {
    const cname = certName(entry);
    const kp = { id: `keypair:${entry.token.id}`, titleZh: `${cname} 密钥对`, titleEn: `Key pair of ${cname}`, data: { certId: entry.token.id } };
    if (isEncryptionCert(entry)) {
      ctx.emit({ ...kp, status: 'skipped', detailZh: '加密证书不用于签名，无需试签名', detailEn: 'An encryption certificate does not sign; no test signature' });
      continue;
    }
    if (entry.token.hasPrivateKey === false) {
      ctx.emit({ ...kp, status: 'fail', detailZh: '登录后仍未找到与证书对应的私钥，该证书无法签章', detailEn: 'No private key matches the certificate, even after login', remedyZh: '请联系发证机构重新写入证书或更换 CA 锁。', remedyEn: 'Contact the certificate authority to re-issue the certificate.' });
      continue;
    }
    if (entry.details.keyAlgorithm !== 'RSA' && entry.details.keyAlgorithm !== 'EC' && entry.details.keyAlgorithm !== 'SM2') {
      ctx.emit({ ...kp, status: 'skipped', detailZh: `暂不支持验证 ${entry.details.keyAlgorithm} 密钥对`, detailEn: `${entry.details.keyAlgorithm} key pairs are not verified yet` });
      continue;
    }
    try {
      const ok = await proveKeyPair(ctx, entry);
      ctx.emit(
        ok
          ? { ...kp, status: 'ok', detailZh: '试签名并用证书公钥验证通过，私钥与证书匹配', detailEn: 'A test signature verifies with the certificate: key and certificate match' }
          : { ...kp, status: 'fail', detailZh: '试签名无法用证书公钥验证，CA 锁中的私钥与证书不匹配', detailEn: 'The test signature does not verify: key and certificate do not match', remedyZh: '请联系发证机构重新写入证书。', remedyEn: 'Contact the certificate authority to re-issue the certificate.' },
      );
    } catch (error) {
      const e = toAssistantError(error);
      ctx.emit({ ...kp, status: 'fail', detailZh: `试签名失败：${e.details.detailZh ?? REASONS[e.reason].zh}`, detailEn: `Test signature failed (${e.reason})`, remedyZh: REASONS[e.reason].remedyZh, remedyEn: REASONS[e.reason].remedyEn, data: { ...kp.data, reason: e.reason } });
    }
  }
}

async function run(ctx: CheckContext): Promise<void> {
  if (ctx.tokens.length === 0) {
    ctx.emit({ id: 'pin.login', titleZh: 'PIN 验证', titleEn: 'PIN', status: 'skipped', detailZh: '未检测到 CA 锁，无法验证 PIN', detailEn: 'No token' });
    return;
  }
  for (const token of ctx.tokens) await checkToken(ctx, token);
}

/** With the user's PIN: login, then a test signature per certificate verified with its public key. */
export const pinKeypairChecks: CheckGroup = { id: 'pin', titleZh: 'PIN 与密钥对', category: 'signature', run };
