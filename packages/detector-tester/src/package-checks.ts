import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** What {@link testPluginPackage} checks a published detector package against. */
export interface PluginPackageCases {
  /** The package folder (the one holding package.json and schema.json). */
  packageDir: string;
  /** Renders the `schema.json` the options schema implies (the package's own generator). */
  renderSchemaFile: () => string;
  /** The command that regenerates schema.json, named in the failure message. */
  regenerateCommand: string;
}

/**
 * Registers, in the calling vitest file, the two checks every published detector package needs
 * beyond the conformance suite: `meta.version` equals package.json's version (the version is part
 * of the scoreboard's result cache key, so a stale one would reuse old results), and the committed
 * `schema.json` equals what the options schema renders (tools read the file, the runner the code).
 */
export function testPluginPackage(detector: { meta: { name: string; version: string } }, cases: PluginPackageCases): void {
  const { packageDir, renderSchemaFile, regenerateCommand } = cases;
  describe(`package ${detector.meta.name}`, () => {
    it('meta.version is the package version (it is part of the result cache key)', () => {
      const pkg = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string };
      expect(detector.meta.version).toBe(pkg.version);
    });

    it('schema.json is generated from the options schema', () => {
      let committed = '';
      try {
        committed = readFileSync(join(packageDir, 'schema.json'), 'utf8');
      } catch {
        throw new Error(`schema.json is missing; generate it with: ${regenerateCommand}`);
      }
      expect(committed, `schema.json is out of date with the options schema; regenerate it with: ${regenerateCommand}`).toBe(renderSchemaFile());
    });
  });
}
