/**
 * vitest globalSetup: builds pin-guard and one template fixture dir for the whole run;
 * each test file copies it (tests/helpers/fixtures.ts) so token state is never shared.
 *
 * Set CA_FIXTURES_TEMPLATE=DIR to keep the template between runs: an existing fixture
 * dir there is reused, an empty or missing one is generated and kept.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
// @ts-expect-error plain JS helper shared with bin/ca-assistant.mjs
import { distIsFresh } from '../bin/dist-fresh.mjs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { ensurePinGuard, makeFixtures } from './fixtures/make-fixtures.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Absolute path of the template fixture dir (holds fixtures.json). */
    fixturesTemplate: string;
  }
}

/** Bundles the agent into dist/agent/ when stale (about a second), so tests that spawn the CLI run what ships, without tsx start-up cost. */
function buildAgent(): void {
  if (distIsFresh()) return;
  execFileSync(process.execPath, [resolve(import.meta.dirname, '..', 'scripts', 'bundle-agent.mjs')], { stdio: 'inherit' });
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  buildAgent();
  await ensurePinGuard();
  const kept = process.env.CA_FIXTURES_TEMPLATE;
  const dir = kept ? resolve(kept) : join(tmpdir(), `ca-assistant-fixtures-${process.pid}`);
  if (!existsSync(join(dir, 'fixtures.json'))) {
    if (!kept) await rm(dir, { recursive: true, force: true });
    await makeFixtures(dir);
  }
  project.provide('fixturesTemplate', dir);
  return async () => {
    if (!kept) await rm(dir, { recursive: true, force: true });
  };
}
