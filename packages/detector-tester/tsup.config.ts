import { defineConfig } from 'tsup';
import base from '../../tsup.config.base.js';

// A second entry for the sandtrap-schema bin: it must not load the index, which imports vitest.
export default defineConfig({ ...base, entry: ['src/index.ts', 'src/schema-cli.ts'] });
