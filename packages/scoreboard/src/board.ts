import type { Access } from '@sandtrap/detector-api';
import type { CiMethod, Metrics } from './metrics.js';
import type { FailureReason } from './protocol.js';

/**
 * `scoreboard.json`: what a scoreboard run (or `sandtrap merge` of its shards) writes. Validated
 * against `schema/scoreboard.schema.json` (generated from {@link ScoreboardSchema} in
 * board-schema.ts). Stable API: `detectors[].overall.auroc`, `detectors[].byKind[kind].auroc`,
 * `detectors[].overall.aurocCI`. Everything a rerun can change without the results changing —
 * wall-clock times — is under `timing` keys (and `cost.meanSeconds` / `p95Seconds`,
 * `cells[].seconds`), which is what {@link stripTiming} removes to compare two runs.
 */
export interface Scoreboard {
  schemaVersion: 1;
  /** The sandtrap version that wrote it. */
  generator: { name: 'sandtrap'; version: string };
  zoo: BoardZoo;
  settings: BoardSettings;
  /** One per detector, in config order. */
  detectors: BoardDetector[];
  timing: { startedAt: string; finishedAt: string; wallSeconds: number };
}

export interface BoardZoo {
  name: string;
  /** `zoo.json`'s spec hash: two scoreboards compare only on the same zoo. */
  specHash: string;
  /** Test-split organisms scored. */
  organisms: number;
  positives: number;
  controls: number;
  /** Misaligned kinds present in the test split, sorted: the `byKind` keys. */
  kinds: string[];
  /** Control kinds present in the test split, sorted. */
  controlKinds: string[];
}

export interface BoardSettings {
  /** Only the test split is scored; `configure()` sees the dev split. */
  split: 'test';
  /** The run seed: cells draw their `ctx.rng` and sampler seeds from it. */
  seed: number;
  /**
   * How `aurocCI` was computed: `score` (Newcombe's score interval, the default) or `bootstrap`
   * (stratified percentile bootstrap). Absent in boards written before it existed: those are
   * `bootstrap`.
   */
  ci?: CiMethod;
  /** Bootstrap resamples (used by `ci: 'bootstrap'` only) and the CI level. */
  resamples: number;
  level: number;
  /** The backend request (`auto`, `wasm`…) and the backend the cells ran on. */
  backend: string;
  budget: { queries: number | null; finetuneSteps: number | null; wallSeconds: number | null };
}

export interface BoardDetector {
  /** `meta.name`. */
  id: string;
  /** How it was referenced (built-in id, package name, path). */
  ref: string;
  version: string;
  access: Access;
  /** The npm package it came from, when it came from one. */
  package?: string;
  /** Validated options, defaults applied. */
  options: Record<string, unknown>;
  /** sha256 (16 hex) of the canonical options JSON: part of every cell's cache key. */
  optionsHash: string;
  /** `meta.targets`: kinds it claims to catch. */
  targets: string[];
  configure?: { status: 'ok' | 'error'; message?: string; timing?: { seconds: number } };
  /** Every test organism against every control. */
  overall: Metrics;
  /** Each misaligned kind's organisms against every control. */
  byKind: Record<string, Metrics>;
  /** One per test-split organism, sorted by organism id. */
  cells: BoardCell[];
}

export interface BoardCell {
  organism: string;
  task: string;
  kind: string;
  misaligned: boolean;
  status: 'ok' | 'error';
  reason?: FailureReason;
  message?: string;
  /** As scored: the verdict's score, or 0.5 for an errored cell. */
  score: number;
  flagged: boolean;
  predictedKind?: string;
  trigger?: { tokens: string[]; positions?: number[] };
  targetClass?: number;
  queries: number;
  finetuneSteps: number;
  seconds: number;
}

/** One comparison of `--baseline` mode: a metric of a detector × kind, now and in the baseline. */
export interface BaselineCheck {
  detector: string;
  /** A misaligned kind, or `overall`. */
  kind: string;
  metric: 'auroc' | 'tprAt5Fpr';
  baseline: number | null;
  current: number | null;
  /** baseline − current (positive = worse); null when either side is n/a. */
  drop: number | null;
  /** drop > tolerance, or the slice disappeared / became n/a. */
  regressed: boolean;
}

/** What `--baseline FILE --tolerance X` found. */
export interface BaselineReport {
  file: string;
  tolerance: number;
  checks: BaselineCheck[];
  regressions: BaselineCheck[];
}
