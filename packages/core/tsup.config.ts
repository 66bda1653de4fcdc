import { defineConfig } from 'tsup';
import base from '../../tsup.config.base.js';

// The zoo worker is its own entry: worker processes are forked from dist/zoo-worker.js.
// `internal` is the `@sandtrap/core/internal` subpath. Splitting shares one copy of each module
// between the entries, so `RETIRE`, `SandtrapError` and `WorkerError` are the same objects
// whichever entry a package imports them from.
export default defineConfig({ ...(base as object), entry: ['src/index.ts', 'src/internal.ts', 'src/zoo-worker.ts'], splitting: true });
