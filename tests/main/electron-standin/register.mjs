// `node --import tsx --import ./register.mjs src-main/main.ts …`: runs the real shell over the stand-in.
import { register } from 'node:module';

process.env.ELECTRON_STANDIN_PROCESS = '1';
register('./hooks.mjs', import.meta.url);
