import { defineConfig } from 'tsup';
import base from '../../tsup.config.base.js';

// @sandtrap/stats is inlined into dist/ rather than imported at run time: the scoreboard runs
// detectors in a worker under Node's permission model, whose read allowlist (scoreboard's
// runner.ts, readableRoots) admits only the @sandtrap/core and @sandtrap/detector-api workspace
// links, so importing the @sandtrap/stats link from a workspace build is denied. Once that list
// includes @sandtrap/stats, drop noExternal. (Types still come from the @sandtrap/stats dependency.)
export default defineConfig({ ...base, noExternal: ['@sandtrap/stats'] });
