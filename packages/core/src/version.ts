/** The published version of @sandtrap/core, recorded on cards and in zoo indexes. */
export const SANDTRAP_VERSION = '0.1.0';
/**
 * Bumped whenever a change alters what training produces (data, init, schedule, gates). It is part
 * of every organism id, so a cache never serves an organism that the current code would not build.
 * 2: wasm's transposed matMuls run as explicit transposes (matmul-route.ts), which changes the last
 * bits of trained weights.
 */
export const CODE_VERSION = 2;
