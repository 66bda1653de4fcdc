import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { schemaFileText, undescribedFields } from './schema-file.js';

/** What {@link testPluginPackage} checks a published detector package against. */
export interface PluginPackageCases {
  /** The package folder (the one holding package.json and schema.json), as a path or a `file:` URL (`new URL('..', import.meta.url)`). */
  packageDir: string | URL;
  /**
   * The command that regenerates schema.json, named in the failure message.
   * Default: `npm run generate:schema`, the script `sandtrap init detector` writes (it runs `sandtrap-schema write`).
   */
  regenerateCommand?: string;
}

/**
 * Registers, in the calling vitest file, the checks every published detector package needs beyond
 * the conformance suite: `meta.version` equals package.json's version (the version is part of the
 * scoreboard's result cache key, so a stale one would reuse old results); the committed
 * `schema.json` is exactly what `sandtrap-schema write` renders from the detector's `options`
 * (tools read the file, the runner the code); and every option has a `description`.
 */
export function testPluginPackage(detector: { meta: { name: string; version: string }; options?: object }, cases: PluginPackageCases): void {
  const packageDir = typeof cases.packageDir === 'string' ? cases.packageDir : fileURLToPath(cases.packageDir);
  const regenerate = `${cases.regenerateCommand ?? 'npm run generate:schema'} (in ${packageDir})`;
  describe(`package ${detector.meta.name}`, () => {
    it('meta.version is the package version (it is part of the result cache key)', () => {
      const pkg = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string };
      expect(detector.meta.version).toBe(pkg.version);
    });

    it.skipIf(!detector.options)('schema.json is generated from the options schema', () => {
      let committed = '';
      try {
        committed = readFileSync(join(packageDir, 'schema.json'), 'utf8');
      } catch {
        throw new Error(`schema.json is missing; generate it with: ${regenerate}`);
      }
      expect(committed, `schema.json is out of date with the options schema; regenerate it with: ${regenerate}`).toBe(schemaFileText(detector.options!));
    });

    it.skipIf(!detector.options)('every option has a description', () => {
      expect(undescribedFields(detector.options!), 'options without a description (JSON pointers)').toEqual([]);
    });
  });
}
