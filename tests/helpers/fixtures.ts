/** Per-test-file SoftHSM fixtures, copied from the template built by tests/global-setup.ts. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, inject } from 'vitest';
import { copyFixtures, type FixtureManifest } from '../fixtures/make-fixtures.js';

export type { FixtureManifest } from '../fixtures/manifest.js';
export { addToken, fixtureEnv, removeToken } from '../fixtures/make-fixtures.js';

/**
 * Copies the template fixtures into a fresh temp dir, removed after the file's tests.
 * Call it at the top level of a test file or in a `describe` body (it registers
 * `afterAll`), e.g. `const fx = await useFixtures();`.
 */
export async function useFixtures(): Promise<FixtureManifest> {
  const dir = await mkdtemp(join(tmpdir(), 'ca-assistant-fx-'));
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  return copyFixtures(inject('fixturesTemplate'), dir);
}
