/** The assistant window's application controller, shared by the headless UI and Electron. */
export { bridgeHandlers, tokenView } from './window-controller.js';
export type { ApiView, BridgeHandlers, BridgeServiceOptions } from './window-controller.js';
