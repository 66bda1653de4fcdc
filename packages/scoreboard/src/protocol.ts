import type { BudgetLimits } from '@sandtrap/core';
import type { Access, DetectorMeta, ReferenceTruth } from '@sandtrap/detector-api';
import type { CellOutcome, ConfigureOutcome } from '@sandtrap/harness';

/** Messages between the runner and its isolated cell workers. */
export interface OrganismBytes {
  card: unknown;
  manifestText: string;
  weights: Uint8Array;
}

/** How a cell worker starts its detector process: the sandbox's Node flags and launcher. */
export interface DetectorIsolation {
  execArgv: string[];
  launcher?: { command: string; args: string[] };
  /** Stop the detector process after every cell (`--fresh-process`): no cell inherits another's process. */
  freshProcess?: boolean;
}

interface Base {
  entry: string;
  where: string;
  backend: string;
  isolation: DetectorIsolation;
}

export type WorkerTask =
  | (Base & {
      type: 'configure';
      access: Access;
      options: Record<string, unknown>;
      references: Array<OrganismBytes & { id: string; truth: ReferenceTruth }>;
      budget: BudgetLimits;
      seed: number;
    })
  | (Base & { type: 'detect'; access: Access; options: Record<string, unknown>; organism: OrganismBytes & { id: string }; state: unknown; budget: BudgetLimits; seed: number });

/** What the runner reads of a detector before running it (in a detector process of its own). */
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
