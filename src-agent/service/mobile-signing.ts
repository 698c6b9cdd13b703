/**
 * 移动签（公采签）: one signature by a phone. Creates a one-time session at the
 * configured service, shows the assistant's own QR dialog, follows the session
 * (scanned → confirmed / rejected / expired; 刷新二维码 and 取消 in the dialog),
 * and verifies what comes back before anyone sees it.
 */
import type { Config } from '../config.js';
import { MOBILE_POLL_INTERVAL_MS, MOBILE_REFRESH_WAIT_MS } from '../limits.js';
import { describeImage } from '../pki/index.js';
import { AssistantError } from '../protocol/errors.js';
import { REASONS } from '../protocol/reasons.js';
import type { RequestProgressState, SealKind } from '../protocol/types.js';
import type { MobileSignDialog, UiPort } from '../ui/port.js';
import { logger } from '../util/log.js';
import { MobileServiceClient, type SessionStatus } from './mobile-client.js';
import { hashFingerprint, verifyMobileSignature } from './mobile-verify.js';
import { loadTrustStore } from './trust-store.js';

const log = logger('mobile');

/** How long the dialog keeps showing 已签名 / 已拒绝 / a refusal after the request ended, ms (default 2.5 s). */
export const MOBILE_RESULT_SHOW_MS = 2_500;

export interface MobileSignInput {
  origin: string;
  hash: Buffer;
  hashAlgorithm: 'sha256' | 'sha384' | 'sha512';
  sealKind: SealKind;
  documentName?: string;
  ui: UiPort;
  /** Aborted when the page goes away. */
  signal: AbortSignal;
  /** What the request waits for now, for the page (`request.progress`). */
  progress(state: RequestProgressState): void;
}

export interface MobileSignOutput {
  signature: Buffer;
  certificate: Buffer;
  signatureAlgorithm: string;
  signerSubject: string;
  sealKind: SealKind;
  seal: { mime: 'image/png'; data: Buffer; widthMm?: number; heightMm?: number };
}

type Outcome = { kind: 'signed'; status: SessionStatus } | { kind: 'rejected' } | { kind: 'expired' } | { kind: 'refresh' } | { kind: 'cancel' };

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());

/** The dialog's next click, shared by every wait of one request until it is taken (one click is one action). */
class Clicks {
  #pending: Promise<'refresh' | 'cancel'> | undefined;
  constructor(private readonly dialog: MobileSignDialog) {}
  /** Resolves with the next click; it stays "next" until `take`n. */
  next(): Promise<'refresh' | 'cancel'> {
    this.#pending ??= this.dialog.nextAction();
    return this.#pending;
  }
  take(): void {
    this.#pending = undefined;
  }
}

export class MobileSigning {
  readonly #client: MobileServiceClient;
  #anchors: Promise<Buffer[]> | undefined;

  constructor(private readonly config: NonNullable<Config['mobileSigning']>, client?: MobileServiceClient) {
    this.#client = client ?? new MobileServiceClient(config.serviceUrl);
  }

  /** The mobile CA roots, read on first use; none readable is MOBILE_NOT_CONFIGURED. */
  anchors(): Promise<Buffer[]> {
    this.#anchors ??= loadTrustStore(this.config.trustAnchors, []).then((store) => {
      if (store.anchors.length === 0) {
        this.#anchors = undefined;
        throw new AssistantError('MOBILE_NOT_CONFIGURED', 'no readable mobile CA root', { detailZh: `移动签根证书无法读取：${this.config.trustAnchors.join('、')}` });
      }
      return store.anchors;
    });
    return this.#anchors;
  }

  async sign(input: MobileSignInput): Promise<MobileSignOutput> {
    const anchors = await this.anchors();
    const dialog = input.ui.openMobileSign({ origin: input.origin, fingerprint: hashFingerprint(input.hash), sealKind: input.sealKind, ...(input.documentName !== undefined ? { documentName: input.documentName } : {}) }, input.signal);
    const clicks = new Clicks(dialog);
    let lingering = false;
    // The session still open at the service: cancelled there however this request ends, unless signed.
    let open: string | undefined;
    const finish = (state: Parameters<MobileSignDialog['update']>[0]): void => {
      dialog.update(state);
      lingering = true;
      setTimeout(() => dialog.close(), MOBILE_RESULT_SHOW_MS).unref();
    };
    try {
      for (;;) {
        const created = await this.#client.create({ origin: input.origin, hash: input.hash, hashAlgorithm: input.hashAlgorithm, sealKind: input.sealKind, ...(input.documentName !== undefined ? { documentName: input.documentName } : {}) }, input.signal);
        // The service's expiry, but never later than the assistant's own limit.
        open = created.sessionId;
        const deadline = Math.min(Date.parse(created.expiresAt), Date.now() + this.config.sessionSeconds * 1000);
        await dialog.showQr({ text: created.qr, expiresAt: new Date(deadline).toISOString() });
        input.progress('waiting-mobile-scan');
        const outcome = await this.#follow(created.sessionId, deadline, dialog, clicks, input);
        if (outcome.kind !== 'signed') await this.#client.cancel(created.sessionId);
        open = undefined;
        if (outcome.kind === 'refresh') continue;
        if (outcome.kind === 'cancel') throw new AssistantError('USER_CANCELLED', input.signal.aborted ? 'page went away during mobile signing' : 'user cancelled mobile signing');
        if (outcome.kind === 'rejected') {
          finish({ kind: 'rejected' });
          throw new AssistantError('MOBILE_REJECTED', 'the phone rejected the signature');
        }
        if (outcome.kind === 'expired') {
          dialog.update({ kind: 'expired' });
          input.progress('mobile-qr-expired');
          const action = await Promise.race([clicks.next(), sleep(MOBILE_REFRESH_WAIT_MS).then(() => 'timeout' as const)]);
          clicks.take();
          if (action === 'refresh') continue;
          if (action === 'cancel') throw new AssistantError('USER_CANCELLED', 'user cancelled after the QR expired');
          throw new AssistantError('MOBILE_EXPIRED', 'QR expired and was not refreshed');
        }
        const output = await this.#check(outcome.status, input, anchors);
        finish({ kind: 'signed' });
        return output;
      }
    } catch (error) {
      const e = AssistantError.is(error) ? error : undefined;
      if (e && !lingering && (e.reason === 'MOBILE_SIGNATURE_INVALID' || e.reason === 'MOBILE_WRONG_SEAL_KIND' || e.reason === 'MOBILE_SERVICE_ERROR' || e.reason === 'MOBILE_SERVICE_UNAVAILABLE')) {
        finish({ kind: 'failed', textZh: e.details.detailZh ? `${REASONS[e.reason].zh}：${e.details.detailZh}` : REASONS[e.reason].zh, textEn: REASONS[e.reason].en });
      }
      throw error;
    } finally {
      if (open) void this.#client.cancel(open);
      if (!lingering) dialog.close();
    }
  }

  /** Polls the session until it ends, the deadline passes, or the user clicks in the dialog. */
  async #follow(sessionId: string, deadline: number, dialog: MobileSignDialog, clicks: Clicks, input: MobileSignInput): Promise<Outcome> {
    const click = (): Promise<Outcome> => clicks.next().then((a): Outcome => ({ kind: a }));
    let scannedBy: string | undefined;
    for (;;) {
      const wait = Math.min(MOBILE_POLL_INTERVAL_MS, Math.max(0, deadline - Date.now()));
      const clicked = await Promise.race([click(), sleep(wait).then(() => undefined)]);
      if (clicked) {
        clicks.take();
        return clicked;
      }
      if (Date.now() >= deadline) return { kind: 'expired' };
      const polled = await Promise.race([click(), this.#client.status(sessionId, input.signal)]);
      if ('kind' in polled) {
        clicks.take();
        return polled;
      }
      const status = polled;
      if (status.state === 'signed') return { kind: 'signed', status };
      if (status.state === 'rejected') return { kind: 'rejected' };
      if (status.state === 'expired') return { kind: 'expired' };
      if (status.state === 'cancelled') throw new AssistantError('MOBILE_SERVICE_ERROR', 'session cancelled by the service', { detailZh: '移动签服务取消了本次签章' });
      if (status.state === 'scanned' && status.scannedBy && status.scannedBy.name !== scannedBy) {
        scannedBy = status.scannedBy.name;
        log.info('mobile session scanned', { origin: input.origin });
        dialog.update({ kind: 'scanned', name: scannedBy });
        input.progress('waiting-mobile-confirm');
      }
    }
  }

  async #check(status: SessionStatus, input: MobileSignInput, anchors: Buffer[]): Promise<MobileSignOutput> {
    const result = status.result;
    if (!result) throw new AssistantError('MOBILE_SERVICE_ERROR', 'signed session without a result', { detailZh: '移动签服务未返回签名' });
    if (result.sealKind !== input.sealKind) {
      throw new AssistantError('MOBILE_WRONG_SEAL_KIND', `phone chose ${result.sealKind}, wanted ${input.sealKind}`, {
        detailZh: input.sealKind === 'organization' ? '此位置需要单位公章，手机上选择的是个人签章' : '此位置需要个人签章，手机上选择的是单位公章',
      });
    }
    const signature = Buffer.from(result.signature, 'base64');
    const verified = await verifyMobileSignature(signature, input.hash, input.hashAlgorithm, input.sealKind, anchors);
    const image = Buffer.from(result.seal.image, 'base64');
    const described = describeImage(image);
    if (!described.ok || described.info.mime !== 'image/png') throw new AssistantError('MOBILE_SERVICE_ERROR', 'seal image is not a PNG', { detailZh: '移动签服务返回的印章图片无效' });
    return {
      signature, certificate: verified.certificate, signatureAlgorithm: verified.signatureAlgorithm, signerSubject: verified.signerSubject, sealKind: result.sealKind,
      seal: { mime: 'image/png', data: image, ...(result.seal.widthMm !== undefined ? { widthMm: result.seal.widthMm } : {}), ...(result.seal.heightMm !== undefined ? { heightMm: result.seal.heightMm } : {}) },
    };
  }
}
