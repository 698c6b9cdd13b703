/** The headless web UI (pages served by the agent itself where Electron is absent). */
export { startHeadlessUi, MAX_BRIDGE_BODY_BYTES, MAX_ENTRY_CODES, MAX_EVENT_STREAMS, UI_COOKIE } from './server.js';
export { UI_TOKEN_HEADER } from './token.js';
export { ENTRY_PAGE_NAME, writeEntryPage } from './entry-page.js';
export type { HeadlessUiOptions, RunningHeadlessUi } from './server.js';
export { HeadlessUi, hostOf, commonName } from './headless-ui.js';
export { tokenView, type BridgeHandlers } from '../controller-port.js';
export { bridgeClientSource } from './client-script.js';
export { hasDesktop, openExternal } from './open-external.js';
