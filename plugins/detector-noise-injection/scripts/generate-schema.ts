/**
 * Writes schema.json from the options schema in src/index.ts.
 * Run: npm run generate:schema -w @sandtrap/detector-noise-injection
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderSchemaFile } from '../src/schema-file.js';

writeFileSync(fileURLToPath(new URL('../schema.json', import.meta.url)), renderSchemaFile());
console.log('wrote schema.json');
