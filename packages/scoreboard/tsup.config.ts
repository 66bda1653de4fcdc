import { defineConfig } from 'tsup';
import base from '../../tsup.config.base.js';

// The cell worker and the detector process are entries of their own: the runner forks
// dist/cell-worker.js, which holds the organisms and forks dist/detector-worker.js for the detector.
export default defineConfig({ ...(base as object), entry: ['src/index.ts', 'src/cell-worker.ts', 'src/detector-worker.ts'] });
