/**
 * The public API of `@sandtrap/scoreboard`, listed in README.md. Anything not exported here
 * (the runner's internals, the cell keys, the board builder, the report helpers) may change in
 * any release.
 */

// Running detectors: a whole scoreboard, its shards and their merge, or one detector (`sandtrap detect`).
export {
  runScoreboard,
  parseShard,
  parseHoldout,
  HOLDOUTS,
  type Holdout,
  type ScoreboardOptions,
  type ScoreboardEvent,
  type ScoreboardResult,
  type PlanDetector,
  type RunManifest,
  type ManifestDetector,
  type Shard,
} from './run.js';
export { mergeShards, type MergeOptions } from './merge.js';
export { resolveSandbox, probeBwrap, SANDBOX_REQUESTS, type SandboxLayers, type SandboxRequest } from './sandbox.js';
export { runDetector, type RunDetectorOptions, type DetectorRun, type DetectedCell } from './runner.js';
export { locateDetector, BUILT_IN_DETECTORS, type DetectorRef, type LocatedDetector } from './resolve.js';

// What a run writes: results.jsonl and scoreboard.json.
export { readResults, appendResult, type CellRecord, type ConfigureRecord, type ResultRecord, type ResultsFile } from './results.js';
export type { FailureReason } from '@sandtrap/harness';
export type { Scoreboard, BoardDetector, BoardCell, BoardZoo, BoardSettings, BaselineCheck, BaselineReport, UnseenKind } from './board.js';
export { ScoreboardSchema, MetricsSchema, checkScoreboard } from './board-schema.js';

// CI mode, config and reports.
export { compareBaseline, loadBaseline, parseTolerance, describeRegression, DEFAULT_TOLERANCE } from './baseline.js';
export { defineConfig, loadConfig, ConfigSchema, CONFIG_FILES, type SandtrapConfig, type LoadedConfig } from './config.js';
export { writeReports, REPORT_FILES, renderMarkdown, renderJunit, renderTerminal, renderHtml, type TerminalOptions } from './report/index.js';

// Metrics (docs/reference/metrics.md).
export {
  auroc,
  aurocCI,
  bootstrapAurocCI,
  scoreAurocCI,
  pooledAuroc,
  pooledAurocCI,
  tprAtFpr,
  brier,
  crossEntropy,
  rocCurve,
  nearestRank,
  normalQuantile,
  normalCdf,
  mulberry32,
  CI_METHODS,
  CLIP,
  type CiMethod,
  type BootstrapOptions,
  type ConfidenceInterval,
  type TprAtFpr,
  type RocPoint,
  type PooledGroup,
} from './statistics.js';
export {
  summarise,
  summaryCell,
  ERROR_SCORE,
  flaggedRates,
  triggerMatch,
  targetClassCorrect,
  kindCorrect,
  cost,
  type SummaryCell,
  type CellTruth,
  type Summary,
  type SummariseOptions,
  type Metrics,
  type Localisation,
  type Cost,
  type CostCell,
  type FlagCell,
  type TriggerLike,
} from './summaries.js';
