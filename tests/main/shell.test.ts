import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { BRIDGE_EVENTS, BRIDGE_METHODS } from '../../src-agent/ui/bridge.js';
import { HeadlessUi } from '../../src-agent/ui/headless/index.js';
import { BRIDGE_ARG_PREFIX, CALL_CHANNEL, EVENT_CHANNEL, encodeBridgeArgument } from '../../src-main/logic/bridge-channels.js';

// The Electron boundary is mocked only where a module imports it.
vi.mock('electron', () => ({ Menu: {}, Tray: class {}, nativeImage: {} }));
const { ElectronUi } = await import('../../src-main/electron-ui.js');
const { menuTemplate } = await import('../../src-main/tray.js');

const token = { id: 't1', label: 'Key', manufacturer: 'M', serial: '1' };
const pinState = { minLength: 4, maxLength: 16, protectedAuthPath: false, countLow: false, finalTry: false, locked: false, toBeChanged: false };

describe('ElectronUi', () => {
  it('brings the PIN dialog to the front and resolves with the answer given through the bridge', async () => {
    const inner = new HeadlessUi();
    const showDialog = vi.fn();
    const ui = new ElectronUi(inner, { showDialog, notify: vi.fn() });
    const answer = ui.askPin({ origin: 'https://mall.example.cn', token, pin: pinState, attempt: 1 });
    expect(showDialog).toHaveBeenCalledWith('pin');
    const [open] = inner.pending();
    inner.answerPin(open!.view.id, 'pin', [0x31, 0x32]);
    const result = await answer;
    expect(result.kind === 'pin' && [...result.pin]).toEqual([0x31, 0x32]);
  });
  it('shows a native notification after each signature only', () => {
    const notify = vi.fn();
    const ui = new ElectronUi(new HeadlessUi(), { showDialog: vi.fn(), notify });
    ui.notify({ kind: 'info', textZh: '你好' });
    ui.notify({ kind: 'signed', origin: 'https://mall.example.cn', certSubject: 'CN=某公司', time: new Date().toISOString(), documentName: '合同.pdf' });
    expect(notify).toHaveBeenCalledTimes(1);
    expect(notify.mock.calls[0]![0]).toMatchObject({ kind: 'signed', host: 'mall.example.cn', documentName: '合同.pdf' });
  });
});

describe('tray menuTemplate', () => {
  it('maps the model to Electron items that run the command', () => {
    const run = vi.fn();
    const template = menuTemplate([{ kind: 'checkbox', id: 'toggle-autostart', label: '开机自启', checked: true, enabled: true }, { kind: 'separator' }], run);
    expect(template[0]).toMatchObject({ type: 'checkbox', checked: true, label: '开机自启' });
    (template[0]!.click as () => void)();
    expect(run).toHaveBeenCalledWith('toggle-autostart');
    expect(template[1]).toEqual({ type: 'separator' });
  });
});

describe('preload', () => {
  const source = readFileSync(new URL('../../src-main/preload.cts', import.meta.url), 'utf8');
  it('uses the same channels and argument prefix as the main process', () => {
    for (const s of [CALL_CHANNEL, EVENT_CHANNEL, BRIDGE_ARG_PREFIX]) expect(source).toContain(`'${s}'`);
  });
  it('gets every bridge method and event from the definition', () => {
    expect(() => encodeBridgeArgument(Object.keys(BRIDGE_METHODS), BRIDGE_EVENTS)).not.toThrow();
  });
});
