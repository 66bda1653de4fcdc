/**
 * Writes scoreboard.schema.json from the TypeBox schema in src/board-schema.ts.
 * Run: npm run generate:schema -w @sandtrap/scoreboard
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderScoreboardSchema } from '../src/board-schema.js';

writeFileSync(fileURLToPath(new URL('../scoreboard.schema.json', import.meta.url)), renderScoreboardSchema());
console.log('wrote scoreboard.schema.json');
