#!/usr/bin/env node
// The `ca-assistant` command. Runs the compiled build when it is up to date
// with the sources (`npm run build`), otherwise the TypeScript sources through tsx.
import { pathToFileURL } from 'node:url';
import { builtCli, distIsFresh } from './dist-fresh.mjs';

if (distIsFresh()) {
  await import(pathToFileURL(builtCli).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../src-agent/cli.ts', import.meta.url).href);
}
