import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '..', '..', 'sdk', 'src');

describe('sdk/src layering', () => {
  it('imports nothing at runtime from outside sdk/src, and only protocol types', () => {
    const offending: string[] = [];
    for (const file of readdirSync(SRC).filter((f) => f.endsWith('.ts'))) {
      const text = readFileSync(join(SRC, file), 'utf8');
      for (const m of text.matchAll(/^(import|export)(\s+type)?\s[^;]*?\sfrom\s+'([^']+)';/gm)) {
        const [statement, , typeOnly, spec] = m as unknown as [string, string, string | undefined, string];
        if (spec.startsWith('./')) continue;
        if (typeOnly && spec.startsWith('../../src-agent/protocol/')) continue;
        offending.push(`${file}: ${statement.split('\n')[0]}`);
      }
    }
    expect(offending).toEqual([]);
  });
});
