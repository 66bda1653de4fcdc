import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The parity rules every built-in detector follows (STYLE.md: "Every built-in detector has a
 * README (method, reference, deviation notes), tests, a schema, and an entry in the docs index"),
 * checked file by file the way ESLint's `checkRuleFiles` checks its rules: one message per missing
 * item, naming the plugin, what is wrong, and the fix.
 */

/** Where the index of built-in detectors lives, relative to the repository root. */
export const DOCS_INDEX = 'docs/guide/detectors.md';
const PREFIX = 'detector-';

/** The `plugins/detector-*` folders under `root`, sorted. */
export function pluginFolders(root: string): string[] {
  const dir = join(root, 'plugins');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.startsWith(PREFIX) && statSync(join(dir, name)).isDirectory())
    .sort();
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The body of the first Markdown section whose heading matches `heading`, or undefined. */
function section(markdown: string, heading: RegExp): string | undefined {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => /^#{1,6}\s/.test(l) && heading.test(l.replace(/^#+\s*/, '')));
  if (start < 0) return undefined;
  const level = /^#+/.exec(lines[start]!)![0].length;
  const end = lines.findIndex((l, i) => i > start && /^#{1,6}\s/.test(l) && /^#+/.exec(l)![0].length <= level);
  return lines.slice(start + 1, end < 0 ? undefined : end).join('\n');
}

/** Does the docs index name detector `id` in a heading or in the first cell of a table row? */
export function docsHasEntry(markdown: string, id: string): boolean {
  const name = `\`?${escape(id)}\`?`;
  const heading = new RegExp(`^#{1,6}\\s.*(^|[\\s\`])${escape(id)}([\\s\`]|$)`, 'm');
  const row = new RegExp(`^\\|\\s*(\\[)?${name}(\\]\\([^)]*\\))?\\s*\\|`, 'm');
  return heading.test(markdown) || row.test(markdown);
}

/** Every parity problem of one plugin folder (`plugins/<folder>`), one line each. */
export function checkPlugin(root: string, folder: string): string[] {
  const id = folder.slice(PREFIX.length);
  const dir = join(root, 'plugins', folder);
  const where = `plugins/${folder}`;
  const want = `@sandtrap/detector-${id}`;
  const problems: string[] = [];

  const pkgText = readText(join(dir, 'package.json'));
  let pkg: { name?: unknown; keywords?: unknown; peerDependencies?: Record<string, unknown> } | undefined;
  if (pkgText === undefined) {
    problems.push(`${where}: package.json is missing; add one named '${want}' (see plugins/detector-random/package.json)`);
  } else {
    try {
      pkg = JSON.parse(pkgText) as typeof pkg;
    } catch (e) {
      problems.push(`${where}: package.json is not valid JSON (${(e as Error).message}); fix it`);
    }
  }
  if (pkg) {
    if (pkg.name !== want) problems.push(`${where}: package.json name is ${JSON.stringify(pkg.name)}; rename it to '${want}' (built-in id '${id}' resolves to that package)`);
    if (!Array.isArray(pkg.keywords) || !pkg.keywords.includes('sandtrap-detector')) {
      problems.push(`${where}: package.json keywords lack 'sandtrap-detector'; add it (that is how tools find detectors on npm)`);
    }
    if (!pkg.peerDependencies || typeof pkg.peerDependencies['@sandtrap/detector-api'] !== 'string') {
      problems.push(
        `${where}: package.json has no peer dependency on @sandtrap/detector-api; add "peerDependencies": { "@sandtrap/detector-api": "^0.1.0" } (and the same as a devDependency)`,
      );
    }
  }

  const index = readText(join(dir, 'src/index.ts'));
  if (index === undefined) problems.push(`${where}: src/index.ts is missing; default-export the detector from it with defineDetector({ meta, options, detect })`);
  else if (!new RegExp(`name:\\s*['"]${escape(id)}['"]`).test(index))
    problems.push(`${where}: src/index.ts does not declare meta.name '${id}'; the scoreboard id must match the folder name`);

  const readme = readText(join(dir, 'README.md'));
  if (readme === undefined) {
    problems.push(`${where}: README.md is missing; write one with the method, a "Reference" section and a "Deviation notes" section`);
  } else {
    const refs = section(readme, /^references?\b/i);
    if (refs === undefined) problems.push(`${where}: README.md has no "Reference" section; add "## Reference" citing where the method comes from (arXiv id, DOI or URL)`);
    else if (!/(https?:\/\/|arXiv:\s*\d|doi\.org|\b10\.\d{4,}\/)/i.test(refs))
      problems.push(`${where}: README.md's "Reference" section cites nothing; give an arXiv id, a DOI or a URL`);
    if (section(readme, /^deviation/i) === undefined)
      problems.push(
        `${where}: README.md has no "Deviation notes" section; add "## Deviation notes" saying how this implementation differs from the original method (or that it does not)`,
      );
  }

  const test = readText(join(dir, 'src/index.test.ts'));
  if (test === undefined)
    problems.push(`${where}: src/index.test.ts is missing; add one that runs testDetector(detector, { zoo: <repo>/fixtures/zoo-smoke }) from @sandtrap/detector-tester`);
  else if (!/\btestDetector\s*\(/.test(test))
    problems.push(`${where}: src/index.test.ts does not call testDetector(); every built-in runs the conformance suite from @sandtrap/detector-tester`);

  const schemaText = readText(join(dir, 'schema.json'));
  if (schemaText === undefined) {
    problems.push(`${where}: schema.json is missing; generate it from the detector's options schema (npm run generate:schema -w ${want}) and commit it`);
  } else {
    try {
      const schema = JSON.parse(schemaText) as { type?: unknown };
      if (schema.type !== 'object') problems.push(`${where}: schema.json is not an options schema (its root type is ${JSON.stringify(schema.type)}, not 'object'); regenerate it`);
    } catch (e) {
      problems.push(`${where}: schema.json is not valid JSON (${(e as Error).message}); regenerate it`);
    }
  }

  const docs = readText(join(root, DOCS_INDEX));
  if (docs === undefined) problems.push(`${where}: ${DOCS_INDEX} is missing; create the index of built-in detectors with a row for '${id}'`);
  else if (!docsHasEntry(docs, id)) problems.push(`${where}: ${DOCS_INDEX} has no entry for '${id}'; add a table row starting "| \`${id}\` |" (or a heading naming it)`);

  return problems;
}
