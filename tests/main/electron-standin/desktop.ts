/** The stand-in's Tray, Menu, nativeImage, shell, dialog and Notification: state the tests read. */
import { EventEmitter } from 'node:events';
import { standIn } from './state.js';

// ---- Tray, Menu, nativeImage -------------------------------------------------

export interface MenuItem {
  type?: 'normal' | 'separator' | 'checkbox';
  label?: string;
  checked?: boolean;
  enabled?: boolean;
  click?: () => void;
}

export class Menu {
  constructor(readonly items: MenuItem[]) {}
  static buildFromTemplate(template: MenuItem[]): Menu {
    return new Menu(template.map((item) => ({ type: 'normal', enabled: true, ...item })));
  }
}

export interface NativeImage {
  toPNG(): Buffer;
  isEmpty(): boolean;
  getSize(): { width: number; height: number };
}

export const nativeImage = {
  createFromBuffer(buffer: Buffer): NativeImage {
    const png = buffer.length > 24 && buffer.subarray(1, 4).toString('latin1') === 'PNG';
    return { toPNG: () => Buffer.from(buffer), isEmpty: () => !png, getSize: () => (png ? { width: buffer.readUInt32BE(16), height: buffer.readUInt32BE(20) } : { width: 0, height: 0 }) };
  },
};

export class Tray extends EventEmitter {
  static readonly all: Tray[] = [];
  image: NativeImage;
  tooltip = '';
  menu: Menu | null = null;
  #destroyed = false;
  constructor(image: NativeImage) {
    super();
    this.image = image;
    Tray.all.push(this);
  }
  setImage(image: NativeImage): void {
    this.image = image;
  }
  setToolTip(text: string): void {
    this.tooltip = text;
  }
  setContextMenu(menu: Menu): void {
    this.menu = menu;
  }
  destroy(): void {
    this.#destroyed = true;
  }
  isDestroyed(): boolean {
    return this.#destroyed;
  }
}

// ---- shell, dialog, Notification ---------------------------------------------

export const shell = {
  openPath(path: string): Promise<string> {
    standIn.openedPaths.push(path);
    return Promise.resolve('');
  },
  openExternal(url: string): Promise<void> {
    standIn.openedExternal.push(url);
    return Promise.resolve();
  },
};

export const dialog = {
  showMessageBox(options: Record<string, unknown>): Promise<{ response: number; checkboxChecked: boolean }> {
    standIn.messageBoxes.push(options);
    return Promise.resolve({ response: 0, checkboxChecked: false });
  },
};

export class Notification {
  static isSupported(): boolean {
    return true;
  }
  constructor(private readonly options: { title: string; body: string }) {}
  show(): void {
    standIn.notifications.push({ title: this.options.title, body: this.options.body });
  }
}
