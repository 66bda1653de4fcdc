import { JSON_SCHEMA_DIALECT } from '@sandtrap/detector-api';
import { optionsSchema } from './index.js';

/** The committed `schema.json`: the options schema with `$schema` first, 2-space JSON, trailing newline. */
export function renderSchemaFile(): string {
  return `${JSON.stringify({ $schema: JSON_SCHEMA_DIALECT, ...optionsSchema }, null, 2)}\n`;
}

export const REGENERATE_COMMAND = 'npm run generate:schema -w @sandtrap/detector-noise-injection';
