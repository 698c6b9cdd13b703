/** The import directions of docs/architecture.md, held by ESLint: the old imports fail. */
import { resolve } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const eslint = new ESLint({ cwd: ROOT });

async function restricted(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: resolve(ROOT, file) });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('layer rules', () => {
  it('ui/ never imports the API or the window controller', async () => {
    expect(await restricted('src-agent/ui/headless/server.ts', "import type { RunningServer } from '../../api/server.js';\nexport type X = RunningServer;\n")).toHaveLength(1);
    expect(await restricted('src-agent/ui/headless/server.ts', "import { isLoopbackHost } from '../../api/origin-policy.js';\nexport const x = isLoopbackHost;\n")).toHaveLength(1);
    expect(await restricted('src-agent/ui/headless/x.ts', "import { bridgeHandlers } from '../../app/index.js';\nexport const x = bridgeHandlers;\n")).toHaveLength(1);
    expect(await restricted('src-agent/ui/headless/x.ts', "import { bridgeClientSource } from './client-script.js';\nexport const x = bridgeClientSource;\n")).toHaveLength(0);
  });

  it('service/ never imports the API, 环境检测, the CLI or a UI other than the port', async () => {
    expect(await restricted('src-agent/service/signing/x.ts', "import type { Session } from '../../api/session.js';\nexport type X = Session;\n")).toHaveLength(1);
    expect(await restricted('src-agent/service/x.ts', "import type { HeadlessUi } from '../ui/headless/headless-ui.js';\nexport type X = HeadlessUi;\n")).toHaveLength(1);
    expect(await restricted('src-agent/service/x.ts', "import { runChecks } from '../check/index.js';\nexport const x = runChecks;\n")).toHaveLength(1);
    expect(await restricted('src-agent/service/x.ts', "import type { UiPort } from '../ui/port.js';\nexport type X = UiPort;\n")).toHaveLength(0);
  });

  it('api/ imports service/, never the window controller or the CLI', async () => {
    expect(await restricted('src-agent/api/x.ts', "import { bridgeHandlers } from '../app/index.js';\nexport const x = bridgeHandlers;\n")).toHaveLength(1);
    expect(await restricted('src-agent/api/x.ts', "import { createSigning } from '../service/signing/index.js';\nexport const x = createSigning;\n")).toHaveLength(0);
  });
});
