/**
 * The 移动签 QR dialogs of the headless UI (and, through it, of Electron): each
 * open dialog is a view pushed to the pages as a `mobileSign` event whenever it
 * changes, answered through the bridge (`answerMobileSign`), closed by the agent.
 */
import { randomUUID } from 'node:crypto';
import { logger } from '../../util/log.js';
import { ActionQueue } from '../action-queue.js';
import type { MobileSignDialogView } from '../bridge.js';
import type { MobileSignDialog, MobileSignRequest } from '../port.js';

const log = logger('headless-ui');

interface Open {
  view: MobileSignDialogView;
  actions: ActionQueue<'refresh' | 'cancel'>;
}

/** Renders a QR text as a PNG data URL; qrcode is loaded on the first QR, not at start. */
async function qrDataUrl(text: string): Promise<string> {
  const { default: QRCode } = await import('qrcode');
  return QRCode.toDataURL(text, { errorCorrectionLevel: 'M', margin: 2, scale: 6 });
}

export class MobileDialogs {
  readonly #open = new Map<string, Open>();

  constructor(
    private readonly emit: {
      changed(view: MobileSignDialogView): void;
      closed(id: string, reason: 'answered' | 'cancelled'): void;
    },
    private readonly hostOf: (origin: string) => string,
  ) {}

  views(): MobileSignDialogView[] {
    return [...this.#open.values()].map((o) => o.view);
  }

  open(request: MobileSignRequest, signal?: AbortSignal): MobileSignDialog {
    const id = randomUUID();
    const entry: Open = {
      view: {
        id, origin: request.origin, host: this.hostOf(request.origin), fingerprint: request.fingerprint, sealKind: request.sealKind, qr: null, state: { kind: 'waiting' },
        ...(request.documentName !== undefined ? { documentName: request.documentName } : {}),
      },
      actions: new ActionQueue(),
    };
    let closed = false;
    const close = (reason: 'answered' | 'cancelled'): void => {
      if (closed) return;
      closed = true;
      this.#open.delete(id);
      entry.actions.end('cancel');
      signal?.removeEventListener('abort', onAbort);
      log.info('dialog closed', { kind: 'mobile', id, reason });
      this.emit.closed(id, reason);
    };
    const onAbort = (): void => close('cancelled');
    this.#open.set(id, entry);
    if (signal?.aborted) close('cancelled');
    else signal?.addEventListener('abort', onAbort, { once: true });
    log.info('dialog opened', { kind: 'mobile', id, origin: request.origin });
    const changed = (): void => {
      if (!closed) this.emit.changed(entry.view);
    };
    return {
      showQr: async (qr) => {
        const dataUrl = await qrDataUrl(qr.text);
        entry.view = { ...entry.view, qr: { dataUrl, expiresAt: qr.expiresAt }, state: { kind: 'waiting' } };
        changed();
      },
      update: (state) => {
        entry.view = { ...entry.view, state };
        changed();
      },
      nextAction: () => entry.actions.next(),
      close: () => close('answered'),
    };
  }

  /** A click in the dialog; false when no such dialog is open. */
  answer(id: string, action: 'refresh' | 'cancel'): boolean {
    const entry = this.#open.get(id);
    if (!entry) return false;
    entry.actions.push(action);
    return true;
  }

  cancelAll(): void {
    for (const entry of this.#open.values()) entry.actions.end('cancel');
  }
}
