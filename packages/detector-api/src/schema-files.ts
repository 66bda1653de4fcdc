import type { TSchema } from '@sinclair/typebox';
import { DetectorMetaSchema, JSON_SCHEMA_DIALECT, VerdictSchema } from './schemas.js';

/**
 * The committed `schema/*.json` files, generated from the TypeBox sources by
 * `scripts/generate-schemas.ts` and compared with them by `schema-files.test.ts`.
 */
export const SCHEMA_FILES: Record<string, TSchema> = {
  'verdict.schema.json': VerdictSchema,
  'detector-meta.schema.json': DetectorMetaSchema,
};

export const REGENERATE_COMMAND = 'npx tsx scripts/generate-schemas.ts (in packages/detector-api; or npm run generate:schemas -w @sandtrap/detector-api)';

/**
 * A committed schema file's text: the schema with `$schema` (draft 2020-12) first, 2-space JSON,
 * trailing newline. TypeBox's `Kind` and `Optional` symbols are dropped by JSON.stringify. Used
 * for this package's `schema/*.json` and, through `sandtrap-schema`, every detector's schema.json.
 */
export function renderSchemaFile(schema: object): string {
  return `${JSON.stringify({ $schema: JSON_SCHEMA_DIALECT, ...schema }, null, 2)}\n`;
}
