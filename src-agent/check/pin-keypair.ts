import { createHash, createPublicKey, randomBytes, verify } from 'node:crypto';
import { readCertParts } from '../pki/cert-parts.js';
import { sm2Digest, sm2PublicPoint, sm2Verify } from '../pki/index.js';
import { AssistantError, REASONS, toAssistantError } from '../protocol/errors.js';
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

function loginFailure(token: TokenInfo, error: unknown, cancelled = false): Outcome {
  const e = toAssistantError(error);
  const base = { id: `pin.login:${token.id}`, titleZh: `「${tokenName(token)}」PIN 验证`, titleEn: `PIN of "${tokenName(token)}"`, data: { tokenId: token.id, reason: e.reason, ...(e.details.retriesLeft !== undefined ? { retriesLeft: e.details.retriesLeft } : {}) } };
  if (e.reason === 'PIN_INCORRECT' || e.reason === 'PIN_LEN_RANGE') {
    // The key's own count where it reports one (SKF), else the PKCS#11 flags of its fresh state.
    const left = e.details.retriesLeft ?? token.pin.retriesLeft ?? (token.pin.finalTry ? 1 : undefined);
    const tries = left !== undefined ? `，还剩 ${left} 次机会` : token.pin.countLow || e.details.countLow ? '，剩余次数已不多' : '';
    const what = e.reason === 'PIN_LEN_RANGE' ? 'PIN 码长度不对' : 'PIN 码错误';
    return {
      ...base, status: 'fail', detailZh: `${what}${tries}${cancelled ? '（未再输入）' : ''}`, detailEn: `Wrong PIN${left !== undefined ? `, ${left} tries left` : ''}`,
      remedyZh: `请核对 PIN 码（注意大小写和输入法）后重新检测${left === 1 ? '；只剩最后一次机会，不确定时请先联系发证机构' : ''}。连续输错将锁定 CA 锁。`,
      remedyEn: 'Check the PIN and run the check again; repeated wrong PINs lock the key.',
    };
  }
  if (e.reason === 'PIN_LOCKED')
    return { ...base, status: 'fail', detailZh: 'PIN 码已锁定', detailEn: 'The PIN is locked', remedyZh: '请携带 CA 锁到发证机构解锁。', remedyEn: 'Take the key to the certificate authority to unlock it.' };
  return { ...base, status: 'fail', detailZh: `登录失败：${e.details.detailZh ?? REASONS[e.reason].zh}`, detailEn: `Login failed (${e.reason})`, remedyZh: REASONS[e.reason].remedyZh, remedyEn: REASONS[e.reason].remedyEn };
}

/** The token as the token layer sees it now (fresh PIN state after a wrong PIN). */
function fresh(ctx: CheckContext, token: TokenInfo): TokenInfo {
  return ctx.core.tokens.tokens().find((t) => t.id === token.id) ?? token;
}

/**
 * Asks the PIN and logs in, asking again after a wrong PIN (with the tries
 * left, as the sealing dialog does) until the user stops or the key locks.
 * Emits the login line; true when logged in.
 */
async function login(ctx: CheckContext, token: TokenInfo, pinOf: NonNullable<CheckContext['options']['pin']>): Promise<boolean> {
  const name = tokenName(token);
  const base = { id: `pin.login:${token.id}`, titleZh: `「${name}」PIN 验证`, titleEn: `PIN of "${name}"`, data: { tokenId: token.id } };
  let current = fresh(ctx, token);
  let lastFailure: unknown;
  for (let attempt = 1; ; attempt++) {
    ctx.progress(`「${name}」PIN 验证`);
    const lastError = lastFailure === undefined ? undefined : (toAssistantError(lastFailure).reason as 'PIN_INCORRECT' | 'PIN_LEN_RANGE');
    const pin = await pinOf(current, { attempt, ...(lastError ? { lastError } : {}) });
    if (!pin) {
      ctx.emit(lastFailure === undefined
        ? { ...base, status: 'skipped', detailZh: '用户跳过了这把 CA 锁（未输入 PIN），未检测 PIN 与密钥对', detailEn: 'PIN entry skipped; checks skipped' }
        : loginFailure(current, lastFailure, true));
      return false;
    }
    try {
      await ctx.core.tokens.login(token.id, pin);
      break;
    } catch (error) {
      const e = toAssistantError(error);
      current = fresh(ctx, token);
      if ((e.reason !== 'PIN_INCORRECT' && e.reason !== 'PIN_LEN_RANGE') || current.pin.locked) {
        ctx.emit(loginFailure(current, current.pin.locked ? new AssistantError('PIN_LOCKED', 'PIN locked after a wrong PIN') : error));
        return false;
      }
      // The key's own count where it reports one (SKF), else the PKCS#11 flags.
      if (e.details.retriesLeft !== undefined) current = { ...current, pin: { ...current.pin, retriesLeft: e.details.retriesLeft } };
      lastFailure = error;
    } finally {
      pin.fill(0);
    }
  }
  ctx.options.onLogin?.(token.id);
  ctx.emit({ ...base, status: 'ok', detailZh: 'PIN 正确（商城签章时仍会弹出互认助手窗口请您输入 CA 密码）', detailEn: 'PIN accepted; the token stays logged in' });
  return true;
}

async function checkToken(ctx: CheckContext, token: TokenInfo, chosen: boolean): Promise<void> {
  const name = tokenName(token);
  const base = { id: `pin.login:${token.id}`, titleZh: `「${name}」PIN 验证`, titleEn: `PIN of "${name}"`, data: { tokenId: token.id } };
  if (token.pin.locked) {
    ctx.emit({ ...base, status: 'fail', detailZh: 'PIN 码已锁定，为保护 CA 锁未尝试登录', detailEn: 'The PIN is locked; login was not attempted', remedyZh: '请携带 CA 锁到发证机构解锁。', remedyEn: 'Take the key to the certificate authority to unlock it.' });
    return;
  }
  const current = fresh(ctx, token);
  if (!current.loggedIn) {
    const pinOf = ctx.options.pin;
    if (!pinOf) {
      ctx.emit({ ...base, status: 'skipped', detailZh: '未输入 PIN，跳过 PIN 与密钥对检测', detailEn: 'No PIN given; PIN and key pair checks skipped' });
      return;
    }
    if (ctx.options.pinTokens && !chosen) {
      ctx.emit({ ...base, status: 'skipped', detailZh: '未选择验证这把 CA 锁的 PIN，跳过 PIN 与密钥对检测', detailEn: 'This key was not chosen for the PIN check' });
      return;
    }
    if (current.pin.finalTry && !chosen) {
      ctx.emit({ ...base, status: 'skipped', detailZh: '只剩最后一次 PIN 输入机会，为保护 CA 锁未主动询问 PIN', detailEn: 'One try left: the PIN was not asked unprompted', remedyZh: '确认 PIN 码后，可在检测前选择这把 CA 锁再检测。', remedyEn: 'Once sure of the PIN, choose this key before running the check.' });
      return;
    }
    if (!(await login(ctx, current, pinOf))) return;
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

/**
 * The order PINs are asked in: the keys the user chose (in their order), else
 * the keys the mall used last first, then the rest as found.
 */
export function pinOrder(tokens: readonly TokenInfo[], options: Pick<CheckContext['options'], 'pinTokens' | 'preferredTokens'>): { token: TokenInfo; chosen: boolean }[] {
  const first = options.pinTokens ?? options.preferredTokens ?? [];
  const rank = (t: TokenInfo): number => {
    const i = first.indexOf(t.id);
    return i === -1 ? first.length : i;
  };
  return [...tokens].sort((a, b) => rank(a) - rank(b)).map((token) => ({ token, chosen: options.pinTokens?.includes(token.id) ?? false }));
}

async function run(ctx: CheckContext): Promise<void> {
  if (ctx.tokens.length === 0) {
    ctx.emit({ id: 'pin.login', titleZh: 'PIN 验证', titleEn: 'PIN', status: 'skipped', detailZh: '未检测到 CA 锁，无法验证 PIN', detailEn: 'No token' });
    return;
  }
  for (const { token, chosen } of pinOrder(ctx.tokens, ctx.options)) await checkToken(ctx, token, chosen);
}

/** With the user's PIN: login, then a test signature per certificate verified with its public key. */
export const pinKeypairChecks: CheckGroup = { id: 'pin', titleZh: 'PIN 与密钥对', category: 'signature', run };
