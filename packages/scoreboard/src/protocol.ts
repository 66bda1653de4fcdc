import type { BudgetLimits } from '@sandtrap/core';
import type { DetectorMeta, ValidatedVerdict } from '@sandtrap/detector-api';

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
  | (Base & { type: 'configure'; options: Record<string, unknown>; references: Array<OrganismBytes & { truth: unknown }>; budget: BudgetLimits; seed: number })
  | (Base & { type: 'detect'; options: Record<string, unknown>; organism: OrganismBytes; state: unknown; budget: BudgetLimits; seed: number });

export interface InspectResult {
  errors: string[];
  meta?: DetectorMeta;
  options?: Record<string, unknown> | null;
  hasConfigure?: boolean;
}

export type FailureReason = 'threw' | 'budget' | 'timeout' | 'out-of-memory' | 'crashed' | 'invalid-verdict' | 'leaked-tensors' | 'invalid-state' | 'invalid-plugin' | 'configure-failed';

export interface CellFailure {
  status: 'error';
  reason: FailureReason;
  message: string;
  seconds?: number;
  usage?: { queries: number; finetuneSteps: number; wallSeconds: number };
}

export type CellOutcome =
  | { status: 'ok'; verdict: ValidatedVerdict; seconds: number; usage: { queries: number; finetuneSteps: number; wallSeconds: number } }
  | { status: 'ok'; state: unknown; seconds: number; usage: { queries: number; finetuneSteps: number; wallSeconds: number } }
  | CellFailure;
