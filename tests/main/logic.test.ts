import { describe, expect, it } from 'vitest';
import { decodeBridgeArgument, encodeBridgeArgument } from '../../src-main/logic/bridge-channels.js';
import { ipcGate, isOwnPage } from '../../src-main/logic/ipc-gate.js';
import { configArgument, linuxAutostartEntry, machineConfigPath, parseLaunch } from '../../src-main/logic/launch.js';
import { trayIconPng } from '../../src-main/logic/tray-icon.js';
import { trayMenu } from '../../src-main/logic/tray-menu.js';
import { trayState, trayTooltip } from '../../src-main/logic/tray-state.js';
import { windowOptions } from '../../src-main/logic/window-options.js';

const pin = (locked = false) => ({ locked });

describe('trayState', () => {
  it('is no-key without tokens, key-present with one, logged-in after a login', () => {
    expect(trayState({ tokens: [], problem: null })).toBe('no-key');
    expect(trayState({ tokens: [{ loggedIn: false, pin: pin() }], problem: null })).toBe('key-present');
    expect(trayState({ tokens: [{ loggedIn: false, pin: pin() }, { loggedIn: true, pin: pin() }], problem: null })).toBe('logged-in');
  });
  it('is error on a problem or a locked PIN, whatever else', () => {
    expect(trayState({ tokens: [{ loggedIn: true, pin: pin() }], problem: '端口被占用' })).toBe('error');
    expect(trayState({ tokens: [{ loggedIn: true, pin: pin(true) }], problem: null })).toBe('error');
    expect(trayTooltip({ tokens: [], problem: '端口被占用' })).toContain('端口被占用');
  });
});

describe('trayMenu', () => {
  it('lists 打开互认助手, 环境检测, 开机自启, 关于, 退出 in order', () => {
    const labels = trayMenu({ autostart: true, autostartAvailable: true, checking: false }).flatMap((i) => (i.kind === 'separator' ? [] : [i.label]));
    expect(labels).toEqual(['打开互认助手', '环境检测', '开机自启', '关于', '退出']);
  });
  it('checks 开机自启 from the state and disables 环境检测 while one runs', () => {
    const menu = trayMenu({ autostart: false, autostartAvailable: true, checking: true });
    expect(menu.find((i) => i.kind === 'checkbox')).toMatchObject({ id: 'toggle-autostart', checked: false });
    expect(menu.find((i) => i.kind === 'item' && i.id === 'check')).toMatchObject({ enabled: false });
  });
});

describe('ipcGate', () => {
  const config = { ownWindowIds: new Set([3, 4]), rendererBaseUrl: 'file:///opt/app/src-renderer/' };
  it('accepts the main frame of an own window showing an own page', () => {
    expect(ipcGate({ webContentsId: 3, frameUrl: 'file:///opt/app/src-renderer/pin.html', isMainFrame: true }, config)).toEqual({ accept: true });
  });
  it('drops other windows, subframes and foreign pages', () => {
    expect(ipcGate({ webContentsId: 9, frameUrl: 'file:///opt/app/src-renderer/main.html', isMainFrame: true }, config)).toEqual({ accept: false, reason: 'unknown-window' });
    expect(ipcGate({ webContentsId: 3, frameUrl: 'file:///opt/app/src-renderer/main.html', isMainFrame: false }, config)).toEqual({ accept: false, reason: 'subframe' });
    expect(ipcGate({ webContentsId: 3, frameUrl: 'https://mall.example.cn/', isMainFrame: true }, config)).toEqual({ accept: false, reason: 'foreign-url' });
    expect(ipcGate({ webContentsId: 4, frameUrl: null, isMainFrame: true }, config)).toEqual({ accept: false, reason: 'foreign-url' });
  });
  it('does not let a path escape the renderer directory', () => {
    expect(isOwnPage('file:///opt/app/src-renderer/../secret.html', config.rendererBaseUrl)).toBe(false);
    expect(isOwnPage('file:///opt/app/src-renderer-evil/main.html', config.rendererBaseUrl)).toBe(false);
  });
});

describe('windowOptions', () => {
  it('sets isolation, sandbox and no Node explicitly for every window', () => {
    for (const kind of ['main', 'pin', 'consent'] as const) {
      const { webPreferences } = windowOptions(kind, { preload: '/p.cjs', bridgeArgument: '--x', devTools: false });
      expect(webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, nodeIntegrationInSubFrames: false, webviewTag: false, preload: '/p.cjs' });
    }
  });
  it('keeps dialogs on top', () => {
    expect(windowOptions('pin', { preload: '', bridgeArgument: '', devTools: false }).alwaysOnTop).toBe(true);
    expect(windowOptions('main', { preload: '', bridgeArgument: '', devTools: false }).alwaysOnTop).toBe(false);
  });
});

describe('launch', () => {
  it('stays hidden at login and shows for a ca-assistant://start link', () => {
    expect(parseLaunch(['exe', '--hidden'])).toEqual({ hidden: true, protocol: null });
    expect(parseLaunch(['exe', '--', 'ca-assistant://start'])).toEqual({ hidden: false, protocol: 'start' });
    expect(parseLaunch(['exe', 'ca-assistant://sign?x=1'])).toEqual({ hidden: false, protocol: 'unknown' });
  });
  it('finds the machine config and --config', () => {
    expect(machineConfigPath('win32', { ProgramData: 'C:\\ProgramData' })).toBe('C:\\ProgramData\\ca-assistant\\config.json');
    expect(machineConfigPath('linux', {})).toBe('/etc/ca-assistant/config.json');
    expect(configArgument(['exe', '--config', '/a.json'])).toBe('/a.json');
  });
  it('writes a Linux autostart entry that can turn the system one off', () => {
    expect(linuxAutostartEntry('/opt/互认助手/ca-assistant', false)).toMatch(/^Hidden=true$/m);
    expect(linuxAutostartEntry('/opt/a b/x', true)).toMatch(/^Exec="\/opt\/a b\/x" --hidden$/m);
  });
});

describe('bridge argument', () => {
  it('round-trips method and event names and rejects odd names', () => {
    const arg = encodeBridgeArgument(['getStatus', 'runCheck'], ['pinRequest']);
    expect(decodeBridgeArgument(['x', arg])).toEqual({ methods: ['getStatus', 'runCheck'], events: ['pinRequest'] });
    expect(() => encodeBridgeArgument(['a;b'], [])).toThrow();
  });
});

describe('trayIconPng', () => {
  it('draws a PNG per state', () => {
    const png = trayIconPng('error', 16);
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(png.readUInt32BE(16)).toBe(16);
    expect(trayIconPng('no-key').equals(trayIconPng('logged-in'))).toBe(false);
  });
});
