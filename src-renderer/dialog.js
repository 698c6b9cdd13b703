// @ts-check
/** Entry of the dialog-only window (Electron's PIN/consent window): the dialogs and notices, nothing else. */
import { mountDialogs } from './dialogs.js';
import { setLang } from './i18n.js';

const assistant = /** @type {any} */ (window).assistant;
const status = await assistant.getStatus();
setLang(status.language);
mountDialogs(assistant);
document.body.dataset.ready = 'true';
