/** The published version of @sandtrap/core, recorded on cards and in zoo indexes. */
export const SANDTRAP_VERSION = '0.1.0';
/**
 * Bumped whenever a change alters what training produces (data, init, schedule, gates). It is part
 * of every organism id, so a cache never serves an organism that the current code would not build.
 */
export const CODE_VERSION = 1;
