/**
 * What the window transports (the headless UI's HTTP bridge, Electron's IPC)
 * get from the window controller (src-agent/app): one handler per bridge
 * method. The transports never build these themselves, so ui/ needs neither
 * the API nor the controller.
 */
import type { TokenInfo } from '../tokens/types.js';
import type { BridgeMethodName, BridgeParams, BridgeResult, TokenView } from './bridge.js';

export type BridgeHandlers = { [M in BridgeMethodName]: (params: BridgeParams<M>) => Promise<BridgeResult<M>> };

/** A token as the window shows it. */
export function tokenView(t: TokenInfo): TokenView {
  const { minLength, maxLength, protectedAuthPath, countLow, finalTry, locked, retriesLeft } = t.pin;
  return { id: t.id, label: t.label, manufacturer: t.manufacturer, serial: t.serial, loggedIn: t.loggedIn, pin: { minLength, maxLength, protectedAuthPath, countLow, finalTry, locked, ...(retriesLeft !== undefined ? { retriesLeft } : {}) } };
}
