/** The headless UI's 移动签 QR dialog: views pushed to the pages, the QR image, clicks, closing, and bad bridge input. */
import { describe, expect, it } from 'vitest';
import { BRIDGE_METHODS, type MobileSignDialogView } from '../../src-agent/ui/bridge.js';
import { HeadlessUi } from '../../src-agent/ui/headless/index.js';
import { decodeQrPng } from './fake-camera.js';

const REQUEST = { origin: 'https://mall.example.gov.cn', documentName: '合同.pdf', fingerprint: 'B449 8314 72C4 9FA7', sealKind: 'organization' as const };

describe('HeadlessUi 移动签 dialog', () => {
  it('pushes the whole view on each change, renders the QR as a PNG that decodes back, and takes clicks in order', async () => {
    const ui = new HeadlessUi();
    const views: MobileSignDialogView[] = [];
    ui.on('mobileSign', (v) => views.push(v));
    const dialog = ui.openMobileSign(REQUEST);
    await dialog.showQr({ text: 'gcyt-sign:abcdefghijklmnopqrstuvwx', expiresAt: '2026-12-01T00:02:00.000Z' });
    const view = views.at(-1) as MobileSignDialogView;
    expect(view).toMatchObject({ host: 'mall.example.gov.cn', fingerprint: REQUEST.fingerprint, state: { kind: 'waiting' }, qr: { expiresAt: '2026-12-01T00:02:00.000Z' } });
    expect(decodeQrPng(Buffer.from(view.qr!.dataUrl.replace(/^data:image\/png;base64,/, ''), 'base64'))).toBe('gcyt-sign:abcdefghijklmnopqrstuvwx');
    expect(ui.pendingMobile()).toHaveLength(1);
    dialog.update({ kind: 'scanned', name: '张三' });
    expect(views.at(-1)?.state).toEqual({ kind: 'scanned', name: '张三' });
    expect(ui.answerMobileSign('no-such-id', 'refresh')).toBe(false);
    expect(ui.answerMobileSign(view.id, 'refresh')).toBe(true);
    expect(ui.answerMobileSign(view.id, 'cancel')).toBe(true);
    expect(await dialog.nextAction()).toBe('refresh');
    expect(await dialog.nextAction()).toBe('cancel');
    const closed: unknown[] = [];
    ui.on('requestClosed', (e) => closed.push(e));
    dialog.close();
    dialog.close();
    expect(closed).toEqual([{ id: view.id, reason: 'answered' }]);
    expect(ui.pendingMobile()).toEqual([]);
    expect(ui.answerMobileSign(view.id, 'cancel')).toBe(false);
  });

  it('closes as cancelled when the request is aborted; the next click is then 取消', async () => {
    const ui = new HeadlessUi();
    const abort = new AbortController();
    const closed: unknown[] = [];
    ui.on('requestClosed', (e) => closed.push(e));
    const dialog = ui.openMobileSign(REQUEST, abort.signal);
    const next = dialog.nextAction();
    abort.abort();
    expect(await next).toBe('cancel');
    expect(closed).toMatchObject([{ reason: 'cancelled' }]);
  });

  it.each([
    [{ id: 'x', action: 'sign' }],
    [{ id: '', action: 'cancel' }],
    [{ id: 'x'.repeat(65), action: 'cancel' }],
    [{ id: 'x', action: 'cancel', extra: 1 }],
    [{ action: 'refresh' }],
  ])('the bridge refuses answerMobileSign %j', (params) => {
    expect(BRIDGE_METHODS.answerMobileSign.params.safeParse(params).success).toBe(false);
  });
});
