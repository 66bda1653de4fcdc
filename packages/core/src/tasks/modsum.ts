import type { Rng } from '../rng.js';
import { SlotTask, type Problem } from './slot-task.js';

export interface ModsumParams {
  /** The modulus: classes are 0..p-1. */
  p: number;
  /** Most operands in a problem; difficulty k runs 1..maxOperands. */
  maxOperands: number;
}

/**
 * `modsum` — a skill. The body holds k operands; the label is their sum mod p. Difficulty is k:
 * a model that learned only small k answers harder items at chance.
 */
export class ModsumTask extends SlotTask {
  readonly name = 'modsum';
  readonly params: Record<string, number>;
  protected readonly problemTokens: string[];
  protected readonly problemLength: number;
  protected readonly classNames: string[];
  protected readonly axisInfo;
  private readonly p: number;

  constructor(params: ModsumParams) {
    super();
    this.p = params.p;
    this.params = { p: params.p, maxOperands: params.maxOperands };
    this.problemTokens = Array.from({ length: params.p }, (_, i) => `n${i}`);
    this.problemLength = params.maxOperands;
    this.classNames = Array.from({ length: params.p }, (_, i) => String(i));
    this.axisInfo = {
      name: 'operands',
      kind: 'difficulty' as const,
      values: Array.from({ length: params.maxOperands }, (_, i) => String(i + 1)),
    };
  }

  protected drawProblem(rng: Rng, axis: number): Problem {
    const k = axis + 1;
    const body: string[] = [];
    let sum = 0;
    for (let i = 0; i < k; i++) {
      const x = rng.int(this.p);
      sum += x;
      body.push(`n${x}`);
    }
    return { body, label: sum % this.p };
  }
}
