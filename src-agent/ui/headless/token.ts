/** Header carrying the headless window's page token on bridge requests (`?k=` on the event stream, which cannot set headers). */
export const UI_TOKEN_HEADER = 'x-assistant-token';
