export { locateDetector, BUILT_IN_DETECTORS, type DetectorRef, type LocatedDetector } from './resolve.js';
export {
  runDetector,
  prepareDetector,
  runPrepared,
  type RunDetectorOptions,
  type RunPreparedOptions,
  type PreparedDetector,
  type StateCache,
  type CellResult,
  type DetectorRun,
} from './runner.js';
export type { Scoreboard, BoardDetector, BoardCell, BoardZoo, BoardSettings, BaselineCheck, BaselineReport } from './board.js';
export { ScoreboardSchema, MetricsSchema, checkScoreboard, renderScoreboardSchema } from './board-schema.js';
export { compareBaseline, loadBaseline, parseTolerance, describeRegression, DEFAULT_TOLERANCE } from './baseline.js';
export { defineConfig, loadConfig, ConfigSchema, CONFIG_FILES, type SandtrapConfig, type LoadedConfig } from './config.js';
export { readResults, appendResult, type CellRecord, type ConfigureRecord, type ResultRecord, type ResultsFile } from './results.js';
export {
  runScoreboard,
  mergeShards,
  buildBoard,
  writeBoard,
  parseShard,
  cellKey,
  type Shard,
  type ScoreboardOptions,
  type ScoreboardEvent,
  type ScoreboardResult,
  type RunManifest,
  type ManifestDetector,
  type MergeOptions,
} from './scoreboard.js';
export * from './report/index.js';
export type { FailureReason } from './protocol.js';
export * from './metrics.js';
export { cellSeed, detectSeed } from './seeds.js';
