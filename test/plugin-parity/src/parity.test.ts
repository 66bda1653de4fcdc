import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { checkPlugin, DOCS_INDEX, docsHasEntry, pluginFolders } from './check.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const folders = pluginFolders(root);

describe('built-in detectors in plugins/ (parity with docs, tests and schemas)', () => {
  it('there is at least one plugins/detector-* folder', () => {
    expect(folders.length).toBeGreaterThan(0);
  });

  it.each(folders)('plugins/%s has its package conventions, README, conformance test, schema.json and docs entry', (folder) => {
    const problems = checkPlugin(root, folder);
    expect(problems, `\n${problems.join('\n')}\n`).toEqual([]);
  });
});

describe('the parity check itself', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'sandtrap-parity-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(tmp, path)), { recursive: true });
    writeFileSync(join(tmp, path), text);
  };

  it('names the plugin and the fix for every missing item, one message each', () => {
    write('plugins/detector-broken/package.json', JSON.stringify({ name: 'detector-broken', keywords: [] }));
    write('plugins/detector-broken/README.md', '# broken\n\nIt detects things.\n');
    write('plugins/detector-broken/src/index.test.ts', "import { it } from 'vitest';\nit('works', () => {});\n");
    write(DOCS_INDEX, '# Detectors\n\n| id | access |\n| --- | --- |\n| `other` | black-box |\n');
    const problems = checkPlugin(tmp, 'detector-broken');
    expect(problems).toEqual([
      "plugins/detector-broken: package.json name is \"detector-broken\"; rename it to '@sandtrap/detector-broken' (built-in id 'broken' resolves to that package)",
      "plugins/detector-broken: package.json keywords lack 'sandtrap-detector'; add it (that is how tools find detectors on npm)",
      'plugins/detector-broken: package.json has no peer dependency on @sandtrap/detector-api; add "peerDependencies": { "@sandtrap/detector-api": "^0.1.0" } (and the same as a devDependency)',
      'plugins/detector-broken: src/index.ts is missing; default-export the detector from it with defineDetector({ meta, options, detect })',
      'plugins/detector-broken: README.md has no "Reference" section; add "## Reference" citing where the method comes from (arXiv id, DOI or URL)',
      'plugins/detector-broken: README.md has no "Deviation notes" section; add "## Deviation notes" saying how this implementation differs from the original method (or that it does not)',
      'plugins/detector-broken: src/index.test.ts does not call testDetector(); every built-in runs the conformance suite from @sandtrap/detector-tester',
      "plugins/detector-broken: schema.json is missing; generate it from the detector's options schema (npm run generate:schema -w @sandtrap/detector-broken) and commit it",
      'plugins/detector-broken: docs/guide/detectors.md has no entry for \'broken\'; add a table row starting "| `broken` |" (or a heading naming it)',
    ]);
  });

  it('passes a complete plugin', () => {
    write(
      'plugins/detector-ok/package.json',
      JSON.stringify({ name: '@sandtrap/detector-ok', keywords: ['sandtrap-detector'], peerDependencies: { '@sandtrap/detector-api': '^0.1.0' } }),
    );
    write('plugins/detector-ok/src/index.ts', "export default defineDetector({ meta: { name: 'ok' } });\n");
    write('plugins/detector-ok/README.md', '# ok\n\n## Reference\n\narXiv:2412.01784\n\n## Deviation notes\n\nNone.\n');
    write('plugins/detector-ok/src/index.test.ts', 'testDetector(detector, {});\n');
    write('plugins/detector-ok/schema.json', '{ "type": "object" }\n');
    write(DOCS_INDEX, '# Detectors\n\n| id | access |\n| --- | --- |\n| [`ok`](#ok) | black-box |\n');
    expect(checkPlugin(tmp, 'detector-ok')).toEqual([]);
    expect(pluginFolders(tmp)).toEqual(['detector-broken', 'detector-ok']);
  });

  it('finds docs entries as table rows or headings, not as mere mentions', () => {
    expect(docsHasEntry('| `random` | black-box |', 'random')).toBe(true);
    expect(docsHasEntry('| random | black-box |', 'random')).toBe(true);
    expect(docsHasEntry('### `metadata-leak`\n', 'metadata-leak')).toBe(true);
    expect(docsHasEntry('| `metadata-leak-2` | x |', 'metadata-leak')).toBe(false);
    expect(docsHasEntry('The random detector is planned.', 'random')).toBe(false);
  });
});
