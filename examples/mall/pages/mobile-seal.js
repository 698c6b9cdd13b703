// 公采签 (移动签) on the contract page: the seal revision is prepared by the mall, the phone signs through
// the 互认助手 (sign.mobile: the assistant shows the QR), the mall checks the CMS and embeds it.
// Kept apart from app.js so the two ways to seal stay easy to read side by side.

const PROGRESS = {
  'waiting-mobile-scan': '请使用公采易通扫描互认助手中的二维码',
  'waiting-mobile-confirm': '已扫码，请在手机上核对并确认签章',
  'mobile-qr-expired': '二维码已过期，请在互认助手中点击【刷新二维码】后重新扫描',
};

/** The visible seal the mall draws for the position (as it draws personal seals for USB-key seals): round for 公章, square for 代表. */
function drawnSeal(text, round) {
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = round ? 320 : 200;
  const g = canvas.getContext('2d');
  g.strokeStyle = g.fillStyle = '#d0021b';
  g.textAlign = 'center';
  g.textBaseline = 'middle';
  if (round) {
    g.lineWidth = 10;
    g.beginPath();
    g.arc(160, 160, 150, 0, Math.PI * 2);
    g.stroke();
    g.font = 'bold 34px "Noto Serif CJK SC", "Noto Sans CJK SC", serif';
    const chars = [...text];
    chars.forEach((ch, i) => {
      const angle = -Math.PI * 0.85 + (i * Math.PI * 1.7) / Math.max(chars.length - 1, 1);
      g.save();
      g.translate(160 + Math.cos(angle - Math.PI / 2) * 112, 160 + Math.sin(angle - Math.PI / 2) * 112);
      g.rotate(angle);
      g.fillText(ch, 0, 0);
      g.restore();
    });
    g.font = '90px serif';
    g.fillText('★', 160, 165);
  } else {
    g.lineWidth = 8;
    g.strokeRect(8, 8, 184, 184);
    g.font = 'bold 64px "Noto Serif CJK SC", "Noto Sans CJK SC", serif';
    // Left to right, top to bottom; a two-character name on one line.
    const chars = [...text].slice(0, 4);
    chars.forEach((ch, i) => g.fillText(ch, i % 2 ? 140 : 60, chars.length <= 2 ? 100 : i < 2 ? 62 : 138));
  }
  return canvas.toDataURL('image/png').split(',')[1];
}

/**
 * Seals `contract` at the user's company (`company`) or representative (`person`) position with 公采签.
 * @param {{ session: any, assistant: () => Promise<any>, api: Function, showContract: Function, notice: Function, fail: Function, positions: any }} ctx
 */
export async function mobileSeal(ctx, contract, kind) {
  const { session, positions } = ctx;
  const pos = positions[session.me.role];
  const position = pos[kind];
  try {
    const client = await ctx.assistant();
    const company = kind === 'company';
    const image = drawnSeal(company ? session.me.org : session.me.name.replace(/（.*$/, ''), company);
    const prep = await ctx.api('POST', `/api/contracts/${contract.id}/seals/prepare-mobile`, { position, image, widthMm: company ? 40 : 20, heightMm: company ? 40 : 20 });
    ctx.notice('正在请求互认助手弹出公采签二维码…');
    const signed = await client.signMobile({
      hash: prep.hash, hashAlgorithm: prep.hashAlgorithm, sealKind: prep.sealKind, document: { name: prep.documentName }, timestamp: prep.timestamp,
      onProgress: (state) => PROGRESS[state] && ctx.notice(PROGRESS[state]),
    });
    await ctx.api('POST', `/api/contracts/${contract.id}/seals/complete-mobile`, { pendingId: prep.pendingId, signature: signed.signature });
    await ctx.showContract(contract.id);
    ctx.notice(`已在${company ? pos.companyLabel : pos.personLabel}位置盖章（公采签，${signed.sealKind === 'organization' ? '单位公章' : '个人签章'}）`);
  } catch (err) {
    ctx.fail(err);
  }
}
