import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DOC_PATH, renderProtocolReference } from '../../../scripts/gen-protocol-docs.js';
import { METHOD_NAMES, METHODS } from '../../../src-agent/protocol/methods.js';
import { REASON_NAMES } from '../../../src-agent/protocol/reasons.js';
import { INTERACTIVE_METHODS } from '../../../sdk/src/client.js';

describe('docs/protocol-reference.md', () => {
  it('is up to date (run: node bin/run-ts.mjs scripts/gen-protocol-docs.ts)', () => {
    expect(readFileSync(DOC_PATH, 'utf8')).toBe(renderProtocolReference());
  });

  it('names every method and every reason', () => {
    const text = renderProtocolReference();
    for (const name of METHOD_NAMES) expect(text).toContain(`### \`${name}\``);
    for (const reason of REASON_NAMES) expect(text).toContain(`| \`${reason}\` |`);
  });
});

describe('method table', () => {
  it('only system.hello is public', () => {
    expect(METHOD_NAMES.filter((m) => METHODS[m].access === 'public')).toEqual(['system.hello']);
  });

  it('agrees with the SDK on which methods may wait for a dialog', () => {
    expect([...INTERACTIVE_METHODS].sort()).toEqual(METHOD_NAMES.filter((m) => METHODS[m].interactive).sort());
  });

  it('marks key users as interactive', () => {
    for (const m of METHOD_NAMES) if (METHODS[m].needsKey) expect(METHODS[m].interactive).toBe(true);
  });
});
