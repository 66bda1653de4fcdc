import { defineConfig } from 'tsup';
import base from '../../tsup.config.base.js';

// The cell worker is its own entry: detector cells run in processes forked from dist/cell-worker.js.
export default defineConfig({ ...(base as object), entry: ['src/index.ts', 'src/cell-worker.ts'] });
