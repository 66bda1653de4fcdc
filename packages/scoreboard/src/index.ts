export { locateDetector, type DetectorRef, type LocatedDetector } from './resolve.js';
export { runDetector, type RunDetectorOptions, type CellResult, type DetectorRun } from './runner.js';
export type { FailureReason } from './protocol.js';
export * from './metrics.js';
