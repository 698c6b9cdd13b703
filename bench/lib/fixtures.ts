/** SoftHSM fixtures for a benchmark run: generated into a temp dir, removed afterwards. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeFixtures, type FixtureManifest } from '../../tests/fixtures/make-fixtures.js';

export type { FixtureManifest, FixtureToken } from '../../tests/fixtures/manifest.js';
export { fixtureEnv } from '../../tests/fixtures/make-fixtures.js';

/** Runs `body` with fresh fixtures (a few seconds of key generation) and a scratch dir for agent data. */
export async function withFixtures<T>(body: (m: FixtureManifest, scratchDir: string) => Promise<T>): Promise<T> {
  const root = await mkdtemp(join(tmpdir(), 'ca-assistant-bench-'));
  try {
    const m = await makeFixtures(join(root, 'fixtures'));
    return await body(m, join(root, 'data'));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
