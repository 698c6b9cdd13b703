import { describe, expect, it } from 'vitest';
import { BRIDGE_EVENTS, BRIDGE_METHODS } from '../../src-agent/ui/bridge.js';
import { bridgeClientSource, hasDesktop, HeadlessUi } from '../../src-agent/ui/headless/index.js';
import type { PinRequest } from '../../src-agent/ui/port.js';

const REQUEST: PinRequest = {
  origin: 'https://mall.example.gov.cn',
  token: { id: 't1', label: '供应商', manufacturer: 'SoftHSM', serial: 'abc' },
  cert: { subject: 'CN=河南示例科技有限公司, O=河南示例科技有限公司, C=CN', issuer: 'CN=CA', notAfter: '2030-01-01T00:00:00Z', kind: 'organization' },
  documentName: '合同.pdf',
  pin: { minLength: 4, maxLength: 16, protectedAuthPath: false, countLow: false, finalTry: false, locked: false, toBeChanged: false },
  attempt: 1,
};

describe('HeadlessUi', () => {
  describe('#askPin', () => {
    it('shows a dialog view and resolves with the typed bytes, zeroing the array it was given', async () => {
      const ui = new HeadlessUi();
      const views: unknown[] = [];
      ui.on('pinRequest', (v) => views.push(v));
      const answer = ui.askPin(REQUEST);
      const view = ui.pending()[0]!.view as { id: string; host: string; cert: { name: string }; documentName: string };
      expect(views).toEqual([view]);
      expect(view.host).toBe('mall.example.gov.cn');
      expect(view.cert.name).toBe('河南示例科技有限公司');
      expect(view.documentName).toBe('合同.pdf');
      const bytes = [...Buffer.from('12345678')];
      expect(ui.answerPin(view.id, 'pin', bytes)).toBe(true);
      const result = await answer;
      expect(result.kind === 'pin' && result.pin.toString()).toBe('12345678');
      expect(bytes.every((b) => b === 0)).toBe(true);
      expect(ui.pending()).toEqual([]);
      expect(ui.answerPin(view.id, 'cancel')).toBe(false);
    });

    it('cancels when the signal aborts and tells the pages', async () => {
      const ui = new HeadlessUi();
      const closed: unknown[] = [];
      ui.on('requestClosed', (c) => closed.push(c));
      const abort = new AbortController();
      const answer = ui.askPin(REQUEST, abort.signal);
      const id = ui.pending()[0]!.view.id;
      abort.abort();
      expect(await answer).toEqual({ kind: 'cancel' });
      expect(closed).toEqual([{ id, reason: 'cancelled' }]);
    });

    it('cancels after the dialog timeout', async () => {
      const ui = new HeadlessUi({ dialogTimeoutMs: 30 });
      const closed: { reason: string }[] = [];
      ui.on('requestClosed', (c) => closed.push(c));
      expect(await ui.askPin(REQUEST)).toEqual({ kind: 'cancel' });
      expect(closed[0]?.reason).toBe('timeout');
    });
  });

  describe('#askConsent', () => {
    it('resolves with the answer, and denies on timeout', async () => {
      const ui = new HeadlessUi({ dialogTimeoutMs: 30 });
      const asked = ui.askConsent({ origin: 'https://other.example.com', method: 'certs.list' });
      expect(ui.answerConsent(ui.pending()[0]!.view.id, 'once')).toBe(true);
      expect(await asked).toBe('once');
      expect(await ui.askConsent({ origin: 'https://other.example.com', method: 'certs.list' })).toBe('deny');
    });
  });

  describe('#notify', () => {
    it('turns a signature into a notice naming the site, the document and the certificate', () => {
      const ui = new HeadlessUi();
      const notices: unknown[] = [];
      ui.on('notice', (n) => notices.push(n));
      ui.notify({ kind: 'signed', origin: 'https://mall.example.gov.cn', documentName: '合同.pdf', certSubject: 'CN=张三, C=CN', time: '2026-01-01T00:00:00Z' });
      expect(notices).toEqual([{ kind: 'signed', origin: 'https://mall.example.gov.cn', host: 'mall.example.gov.cn', documentName: '合同.pdf', certName: '张三', time: '2026-01-01T00:00:00Z' }]);
    });
  });
});

describe('bridgeClientSource', () => {
  it('defines window.assistant from the one bridge definition', () => {
    const source = bridgeClientSource();
    for (const name of [...Object.keys(BRIDGE_METHODS), ...BRIDGE_EVENTS]) expect(source).toContain(`"${name}"`);
    expect(source).not.toMatch(/innerHTML|eval\(/);
  });
});

describe('hasDesktop', () => {
  it('is true on Windows and macOS, and on Linux only with DISPLAY or WAYLAND_DISPLAY', () => {
    expect(hasDesktop({}, 'win32')).toBe(true);
    expect(hasDesktop({}, 'darwin')).toBe(true);
    expect(hasDesktop({}, 'linux')).toBe(false);
    expect(hasDesktop({ DISPLAY: ':0' }, 'linux')).toBe(true);
    expect(hasDesktop({ WAYLAND_DISPLAY: 'wayland-0' }, 'linux')).toBe(true);
  });
});
