import { createRequire } from 'node:module';
import { DEFERRED_START_DELAY_MS } from '../limits.js';
import { logger } from '../util/log.js';

const log = logger('hotplug');

export interface UsbDevice {
  vendorId: number;
  productId: number;
  deviceName?: string;
  manufacturer?: string;
}

/** The part of the usb-detection native module the agent uses. */
interface UsbDetection {
  startMonitoring(): void;
  stopMonitoring(): void;
  on(event: 'change', listener: (device: UsbDevice) => void): void;
  find(): Promise<UsbDevice[]>;
}

let usb: UsbDetection | null | undefined;

/** usb-detection when its native module loads on this machine, else null (slot polling only). */
export function usbDetection(): UsbDetection | null {
  if (usb !== undefined) return usb;
  try {
    usb = createRequire(import.meta.url)('usb-detection') as UsbDetection;
  } catch (error) {
    log.info('usb-detection unavailable; slot polling only', { error: (error as Error).message });
    usb = null;
  }
  return usb;
}

/** USB devices present now, or null when that cannot be known here. */
export async function listUsbDevices(): Promise<UsbDevice[] | null> {
  const detection = usbDetection();
  if (!detection) return null;
  try {
    return await detection.find();
  } catch {
    return null;
  }
}

/**
 * Calls `poll` every `intervalMs` and, where usb-detection works, at once on
 * every USB insert/remove. Polls never overlap. `stop()` ends both.
 */
export class HotplugWatcher {
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #again = false;
  #usbListening = false;
  #usbTimer: NodeJS.Timeout | undefined;

  constructor(private readonly poll: () => Promise<void>, private readonly intervalMs: number, private readonly useUsb: boolean) {}

  /** Starts polling now and USB monitoring after DEFERRED_START_DELAY_MS (loading it takes ~90 ms the start can do without). */
  start(): void {
    this.#timer = setInterval(() => void this.trigger(), this.intervalMs);
    this.#timer.unref();
    if (!this.useUsb) return;
    this.#usbTimer = setTimeout(() => this.#startUsb(), DEFERRED_START_DELAY_MS);
    this.#usbTimer.unref();
  }

  #startUsb(): void {
    this.#usbTimer = undefined;
    const detection = usbDetection();
    if (detection) {
      try {
        detection.startMonitoring();
        detection.on('change', () => void this.trigger());
        this.#usbListening = true;
      } catch (error) {
        log.warn('usb monitoring failed to start', { error: (error as Error).message });
      }
    }
  }

  /** Runs a poll now (or right after the current one). */
  async trigger(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = true;
    try {
      do {
        this.#again = false;
        await this.poll();
      } while (this.#again);
    } catch (error) {
      log.warn('hot-plug poll failed', { error: (error as Error).message });
    } finally {
      this.#running = false;
    }
  }

  stop(): void {
    clearInterval(this.#timer);
    clearTimeout(this.#usbTimer);
    if (this.#usbListening) usbDetection()?.stopMonitoring();
    this.#usbListening = false;
  }
}
