import { listUsbDevices } from '../tokens/hotplug.js';
import { vendorForUsb } from '../tokens/registry.js';
import type { TokenInfo } from '../tokens/types.js';
import type { CheckContext, CheckGroup, Outcome } from './types.js';
import { tokenName } from './types.js';

const hex4 = (n: number): string => n.toString(16).padStart(4, '0');

/** The PIN-state line of one token: locked, final try, count low, must change, or fine. */
export function pinStateOutcome(token: TokenInfo): Outcome {
  const base = { id: `pin.state:${token.id}`, titleZh: `「${tokenName(token)}」PIN 状态`, titleEn: `PIN state of "${tokenName(token)}"`, category: 'pin' as const, data: { tokenId: token.id, ...token.pin } };
  const p = token.pin;
  if (p.locked)
    return {
      ...base, status: 'fail', detailZh: 'PIN 码已锁定（输错次数过多），无法使用该 CA 锁签章', detailEn: 'The user PIN is locked',
      remedyZh: '请携带 CA 锁到发证机构解锁（或联系发证机构客服远程解锁），解锁前不要再尝试输入 PIN。',
      remedyEn: 'Take the key to the certificate authority to unlock the PIN; do not try the PIN again until then.',
    };
  if (p.finalTry)
    return {
      ...base, status: 'warn', detailZh: '只剩最后一次 PIN 输入机会，再输错一次 CA 锁将被锁定', detailEn: 'One PIN try left; another wrong PIN locks the key',
      remedyZh: '输入前请确认 PIN 码（向单位 CA 管理人员核实）；不确定时不要尝试，请联系发证机构。',
      remedyEn: 'Make sure of the PIN before typing it; if unsure, contact the certificate authority.',
    };
  if (p.countLow)
    return {
      ...base, status: 'warn', detailZh: `PIN 码曾被输错，剩余次数不多${p.retriesLeft !== undefined ? `（还剩 ${p.retriesLeft} 次）` : ''}`, detailEn: 'A wrong PIN was entered; few tries are left',
      remedyZh: '请确认 PIN 码后再输入，连续输错将锁定 CA 锁。', remedyEn: 'Check the PIN before typing it; more wrong tries lock the key.',
    };
  if (p.toBeChanged)
    return {
      ...base, status: 'warn', detailZh: 'CA 锁要求修改初始 PIN 码', detailEn: 'The key requires the initial PIN to be changed',
      remedyZh: '请使用发证机构提供的 CA 锁管理工具修改 PIN 码后再使用。', remedyEn: 'Change the PIN with the CA\'s key management tool first.',
    };
  return { ...base, status: 'ok', detailZh: `PIN 状态正常${p.protectedAuthPath ? '（在 CA 锁自带的密码键盘上输入）' : ''}`, detailEn: 'The PIN is usable' };
}

async function run(ctx: CheckContext): Promise<void> {
  const devices = await listUsbDevices();
  if (devices === null) {
    ctx.emit({ id: 'keys.usb', titleZh: 'USB 设备', titleEn: 'USB devices', status: 'skipped', detailZh: '本机无法枚举 USB 设备（USB 检测组件不可用），以下按驱动识别 CA 锁', detailEn: 'USB devices cannot be listed here (usb-detection unavailable)' });
  } else {
    const known = devices.flatMap((d) => {
      const v = vendorForUsb(ctx.core.vendors, d.vendorId, d.productId);
      return v ? [{ vendor: v.nameZh, vendorId: hex4(d.vendorId), productId: hex4(d.productId) }] : [];
    });
    ctx.emit(
      known.length > 0
        ? { id: 'keys.usb', titleZh: 'USB 设备', titleEn: 'USB devices', status: 'ok', detailZh: `识别到 CA 锁：${known.map((k) => `${k.vendor}（${k.vendorId}:${k.productId}）`).join('、')}`, detailEn: `Known keys: ${known.map((k) => `${k.vendorId}:${k.productId}`).join(', ')}`, data: { known } }
        : {
            id: 'keys.usb', titleZh: 'USB 设备', titleEn: 'USB devices', status: ctx.tokens.length > 0 ? 'ok' : 'warn',
            detailZh: `共 ${devices.length} 个 USB 设备，其中没有厂商表中已知的 CA 锁`, detailEn: `${devices.length} USB devices, none in the vendor table`,
            ...(ctx.tokens.length > 0 ? {} : { remedyZh: '请确认 CA 锁已插好（可换一个 USB 口，不要用 USB 延长线或集线器）。', remedyEn: 'Plug the key in directly (try another port).' }),
            data: { count: devices.length },
          },
    );
  }
  if (ctx.tokens.length === 0) {
    ctx.emit({
      id: 'keys.present', titleZh: 'CA 锁', titleEn: 'Keys', status: 'fail',
      detailZh: '未检测到 CA 锁', detailEn: 'No token found (NO_TOKEN)',
      remedyZh: '请插入 CA 锁（指示灯应亮起），换一个 USB 口试试；确认已安装该 CA 锁的驱动后重新检测。',
      remedyEn: 'Insert the key, try another USB port, make sure its driver is installed, and check again.',
      data: { reason: 'NO_TOKEN' },
    });
    return;
  }
  ctx.emit({
    id: 'keys.present', titleZh: 'CA 锁', titleEn: 'Keys', status: 'ok',
    detailZh: `检测到 ${ctx.tokens.length} 把 CA 锁：${ctx.tokens.map((t) => `「${tokenName(t)}」`).join('、')}`,
    detailEn: `${ctx.tokens.length} token(s) present`,
    data: { tokens: ctx.tokens.map((t) => ({ id: t.id, label: t.label, manufacturer: t.manufacturer, model: t.model, serial: t.serial })) },
  });
  for (const token of ctx.tokens) ctx.emit(pinStateOutcome(token));
}

/** USB keys seen, tokens present, PIN state. */
export const keyChecks: CheckGroup = { id: 'keys', titleZh: 'CA 锁', category: 'token', run };
