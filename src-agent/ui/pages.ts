/**
 * The page manifest: every page of src-renderer/ and which window shows it.
 * Electron's windows (src-main/windows.ts) load these files, the headless UI
 * serves these pages and no other HTML, and tests/main checks that each exists
 * and loads without console errors under the pages' CSP.
 */

/** The HTML pages in src-renderer/. */
export const UI_PAGES = ['main.html', 'dialog.html'] as const;
export type UiPage = (typeof UI_PAGES)[number];

/** Which dialogs a page shows (`?dialogs=` on its URL; absent means all: the headless UI's one tab). */
export type DialogFilter = 'all' | 'none' | 'pin' | 'consent';

/** The Electron windows. */
export type WindowKind = 'main' | 'pin' | 'consent';

/**
 * What each Electron window loads. The main window shows no dialogs (the
 * dialog windows do, so a PIN prompt never appears twice); the PIN and consent
 * windows load the dialog-only page filtered to their kind.
 */
export const WINDOW_PAGES: Record<WindowKind, { file: UiPage; dialogs: DialogFilter }> = {
  main: { file: 'main.html', dialogs: 'none' },
  pin: { file: 'dialog.html', dialogs: 'pin' },
  consent: { file: 'dialog.html', dialogs: 'consent' },
};

/** The headless UI's entry page (it shows every dialog). */
export const HEADLESS_ENTRY: UiPage = 'main.html';
