import { chromium } from 'playwright-core';
import type { TestProject } from 'vitest/node';
import { acquireChromium } from '../src/report/chromium.js';

declare module 'vitest' {
  export interface ProvidedContext {
    chromiumPath: string;
  }
}

/**
 * Finds (or installs, once, under a lock) the Chromium the report's browser test drives, before any
 * test file starts, so `npm ci && npm test` needs no manual step. Fails the run with one line naming
 * what was searched and the command to run when no browser can be had.
 */
export default async function setup(project: TestProject): Promise<void> {
  const found = await acquireChromium({ playwrightPath: chromium.executablePath() });
  console.log(`chromium: ${found.path} (${found.via})`);
  project.provide('chromiumPath', found.path);
}
