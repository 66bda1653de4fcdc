/**
 * Writes schema/*.json from the TypeBox sources in src/schemas.ts.
 * Run: npx tsx scripts/generate-schemas.ts (from packages/detector-api).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderSchemaFile, SCHEMA_FILES } from '../src/schema-files.js';

const dir = fileURLToPath(new URL('../schema/', import.meta.url));
mkdirSync(dir, { recursive: true });
for (const [file, schema] of Object.entries(SCHEMA_FILES)) {
  writeFileSync(`${dir}${file}`, renderSchemaFile(schema));
  console.log(`wrote schema/${file}`);
}
