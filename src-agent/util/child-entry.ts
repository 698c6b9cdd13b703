import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * Where to fork a sibling module from, and with which Node flags. When the
 * agent runs from TypeScript sources (tests, `npm run` scripts) the child gets
 * tsx's loader; from the compiled build it runs the `.js` file directly.
 */
export function childEntry(fromUrl: string, baseName: string): { file: string; execArgv: string[] } {
  const fromTs = fromUrl.endsWith('.ts');
  const file = join(dirname(fileURLToPath(fromUrl)), `${baseName}${fromTs ? '.ts' : '.js'}`);
  if (!fromTs) return { file, execArgv: [] };
  const require = createRequire(fromUrl);
  const loader = join(dirname(require.resolve('tsx/package.json')), 'dist', 'loader.mjs');
  return { file, execArgv: ['--import', pathToFileURL(loader).href] };
}
