import { rm } from 'node:fs/promises';
import type { TestProject } from 'vitest/node';
import { buildTinyZoo } from './tiny-zoo.js';

declare module 'vitest' {
  export interface ProvidedContext {
    tinyZoo: string;
  }
}

/** Builds the tiny zoo once for every test file of this package (about a minute), and removes it after. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = await buildTinyZoo();
  project.provide('tinyZoo', dir);
  return async () => {
    if (dir !== process.env.SANDTRAP_TESTER_ZOO) await rm(dir, { recursive: true, force: true });
  };
}
