import type { HeadlessUi } from '../src-agent/ui/headless/index.js';
import type { NoticeView } from '../src-agent/ui/bridge.js';
import type { ConsentAnswer, ConsentRequest, MobileSignDialog, MobileSignRequest, Notice, PinAnswer, PinRequest, UiPort } from '../src-agent/ui/port.js';

/** What ElectronUi needs from the shell: bringing a dialog window up, a native notification. */
export interface DialogHost {
  /** Shows the dialog window of that kind, in front and focused, even when the main window is hidden. */
  showDialog(kind: 'pin' | 'consent' | 'mobile'): void;
  /** A native notification (after each signature). */
  notify(view: NoticeView): void;
}

/**
 * The UI port inside Electron: the dialog state (ids, timeouts, answers,
 * PIN buffers) is the headless UI's, shared with the bridge handlers; this
 * adds the windows that come to the front and the native notifications.
 * The window comes up for every dialog the shared state opens, whoever asks
 * (a site through the API, or 环境检测 through the bridge handlers).
 */
export class ElectronUi implements UiPort {
  constructor(
    readonly inner: HeadlessUi,
    private readonly host: DialogHost,
  ) {
    inner.on('notice', (view) => {
      if (view.kind === 'signed') host.notify(view);
    });
    inner.on('pinRequest', () => host.showDialog('pin'));
    inner.on('consentRequest', () => host.showDialog('consent'));
  }

  askPin(request: PinRequest, signal?: AbortSignal): Promise<PinAnswer> {
    return this.inner.askPin(request, signal);
  }

  askConsent(request: ConsentRequest, signal?: AbortSignal): Promise<ConsentAnswer> {
    return this.inner.askConsent(request, signal);
  }

  notify(notice: Notice): void {
    this.inner.notify(notice);
  }

  openMobileSign(request: MobileSignRequest, signal?: AbortSignal): MobileSignDialog {
    const dialog = this.inner.openMobileSign(request, signal);
    this.host.showDialog('mobile');
    return dialog;
  }
}

/** The notification text after a signature (Chinese). */
export function signedNotification(view: NoticeView): { title: string; body: string } {
  const site = view.host ?? '互认助手';
  const doc = view.documentName ? `「${view.documentName}」` : '文件';
  return { title: '签章完成', body: `${site} 已使用 ${view.certName ?? '您的证书'} 对${doc}签章` };
}
