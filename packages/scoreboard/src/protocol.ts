import type { BudgetLimits } from '@sandtrap/core';
import type { DetectorMeta, ReferenceTruth } from '@sandtrap/detector-api';
import type { CellOutcome, ConfigureOutcome } from '@sandtrap/harness';

/** Messages between the runner and its isolated cell workers. */
export interface OrganismBytes {
  card: unknown;
  manifestText: string;
  weights: Uint8Array;
}

interface Base {
  entry: string;
  where: string;
  backend: string;
}

export type WorkerTask =
  | (Base & { type: 'inspect' })
  | (Base & { type: 'configure'; options: Record<string, unknown>; references: Array<OrganismBytes & { id: string; truth: ReferenceTruth }>; budget: BudgetLimits; seed: number })
  | (Base & { type: 'detect'; options: Record<string, unknown>; organism: OrganismBytes & { id: string }; state: unknown; budget: BudgetLimits; seed: number });

export interface InspectResult {
  errors: string[];
  meta?: DetectorMeta;
  options?: Record<string, unknown> | null;
  hasConfigure?: boolean;
}

/** What a worker answers a `detect` task: the harness's outcome (a detector it cannot load is a problem too). */
export type DetectResult = CellOutcome;

/** What a worker answers a `configure` task. */
export type ConfigureResult = ConfigureOutcome;
