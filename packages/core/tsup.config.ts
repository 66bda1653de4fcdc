import { defineConfig } from 'tsup';
import base from '../../tsup.config.base.js';

// The zoo worker is its own entry: worker processes are forked from dist/zoo-worker.js.
export default defineConfig({ ...(base as object), entry: ['src/index.ts', 'src/zoo-worker.ts'] });
