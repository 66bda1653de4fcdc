import type { DetectorContext, DetectorRng, WhiteBoxSubject } from '@sandtrap/detector-api';
import type { TriggerReconstructionOptions } from './index.js';

type Tf = DetectorContext['tf'];
type Tensor = ReturnType<Tf['tensor']>;

/** Settings of one reconstruction run: the detector's options that drive the search (each described in its schema). */
export type ReconstructOptions = Pick<
  TriggerReconstructionOptions,
  'batch' | 'steps' | 'learningRate' | 'maskInit' | 'lambdaInit' | 'successThreshold' | 'patience' | 'lambdaMultiplier' | 'positions'
>;

/** The smallest trigger found for one target class. */
export interface ClassTrigger {
  /** Σ_p m_p of the smallest mask that reached the success threshold; the number of searched positions if none did. */
  norm: number;
  /** Whether any step reached the success threshold. */
  reached: boolean;
  /** Attack success rate of the recorded mask. */
  success: number;
  /** m_p per position of the recorded mask. */
  mask: number[];
  /** argmax_v softmax(θ_p) per position (token id) of the recorded mask. */
  tokens: number[];
  /** λ at the end. */
  lambda: number;
}

/**
 * Which tokens each position may take: a header slot its public values, a filler position every
 * filler word, a problem position every token that is neither a header value nor a filler word
 * (`<pad>` included). Returned as an additive logit bias [seqLen · vocab]: 0 allowed, −1e4 not.
 */
export function positionVocab(subject: Pick<WhiteBoxSubject, 'task'>): Float32Array {
  const { task } = subject;
  const L = task.seqLen;
  const V = task.vocab.length;
  const body = task.description.body;
  const bias = new Float32Array(L * V).fill(-1e4);
  const headerTokens = new Set<number>();
  for (const slot of task.header) for (const v of slot.values) headerTokens.add(task.tokenId(v));
  const fillerTokens = new Set(body.fillerWords.map((w) => task.tokenId(w)));
  const allow = (p: number, ids: Iterable<number>) => {
    for (const id of ids) bias[p * V + id] = 0;
  };
  for (const slot of task.header)
    allow(
      slot.position,
      slot.values.map((v) => task.tokenId(v)),
    );
  for (const p of body.filler) allow(p, fillerTokens);
  const problemTokens = [...Array(V).keys()].filter((id) => !headerTokens.has(id) && !fillerTokens.has(id));
  for (const p of body.problem) allow(p, problemTokens);
  // A position the card does not describe takes any token.
  for (let p = 0; p < L; p++) {
    let any = false;
    for (let v = 0; v < V && !any; v++) any = bias[p * V + v] === 0;
    if (!any) bias.fill(0, p * V, (p + 1) * V);
  }
  return bias;
}

/** The positions the trigger search covers: header slots and filler positions (`context`), or every position. */
export function searchPositions(subject: Pick<WhiteBoxSubject, 'task'>, which: 'context' | 'all'): number[] {
  const { task } = subject;
  if (which === 'all') return [...Array(task.seqLen).keys()];
  const ps = new Set([...task.header.map((s) => s.position), ...task.description.body.filler]);
  return [...ps].sort((x, y) => x - y);
}

/**
 * The stamped inputs (1 − m)·x + m·p, [C, N, L, V], for clean one-hot rows x [1, N, L, V], masks
 * m [C, 1, L, 1] and token distributions p [C, 1, L, V], with a hand-written gradient. tfjs's own
 * gradient of the broadcasting form reduces dy [C, N, L, V] over N and V with sums over middle
 * axes, which the wasm backend runs as a transpose of the whole tensor plus a copy: 40% of a
 * search step when profiled. Here Σ_n dy is one batched matMul (ones [C, 1, N] · dy [C, N, L·V]),
 * and only the last axis is summed:
 *   dp = m · Σ_n dy,   dm = Σ_v p · Σ_n dy − Σ_n Σ_v dy · x.
 */
export function stampFn(tf: Tf, x: Tensor): (m: Tensor, p: Tensor) => Tensor {
  const [, N = 0, L = 0, V = 0] = x.shape;
  const f = (...args: unknown[]) => {
    const [m, p, save] = args as [Tensor, Tensor, (ts: Tensor[]) => void];
    save([m, p]);
    const value = tf.add(tf.mul(x, tf.sub(1, m)), tf.mul(m, p));
    const gradFunc = (dy: Tensor, saved: Tensor[]) => {
      const [sm, sp] = saved as [Tensor, Tensor];
      const C = dy.shape[0] ?? 0;
      const ones = tf.ones([C, 1, N]);
      const sumN = tf.reshape(tf.matMul(ones, tf.reshape(dy, [C, N, L * V])), [C, 1, L, V]);
      const dp = tf.mul(sm, sumN);
      const fromP = tf.sum(tf.mul(sp, sumN), 3, true);
      const fromX = tf.reshape(tf.matMul(ones, tf.reshape(tf.sum(tf.mul(dy, x), 3), [C, N, L])), [C, 1, L, 1]);
      return [tf.sub(fromP, fromX), dp];
    };
    return { value, gradFunc };
  };
  return tf.customGrad(f);
}

/**
 * Neural Cleanse (Wang et al. 2019) on tokens, every target class in one batched optimisation:
 * for class c a mask m_c,p = sigmoid(a_c,p) and a token distribution softmax(θ_c,p) per position,
 * stamped on clean one-hot inputs x as (1 − m)·x + m·softmax(θ); minimise the mean cross-entropy
 * to c plus λ_c·Σ_p m_c,p, with Neural Cleanse's λ schedule (up when the attack succeeds for
 * `patience` steps, down when it fails). Records, per class, the smallest mask norm among the
 * steps whose attack success rate reached the threshold.
 */
export function reconstruct(subject: WhiteBoxSubject, tf: Tf, rng: DetectorRng, signal: AbortSignal, o: ReconstructOptions): ClassTrigger[] {
  const { task } = subject;
  const L = task.seqLen;
  const V = task.vocab.length;
  const C = task.classes.length;
  const searched = searchPositions(subject, o.positions);
  const P = searched.length;
  const posMask = new Float32Array(L);
  for (const p of searched) posMask[p] = 1;
  const ex = task.sample(o.batch);
  const N = ex.n;

  const aInit = new Float32Array(C * L);
  for (let i = 0; i < aInit.length; i++) aInit[i] = o.maskInit + 0.1 * rng.normal();
  const thInit = new Float32Array(C * L * V);
  for (let i = 0; i < thInit.length; i++) thInit[i] = 0.1 * rng.normal();
  const targetsData = new Float32Array(C * N * C);
  for (let c = 0; c < C; c++) for (let n = 0; n < N; n++) targetsData[(c * N + n) * C + c] = 1;

  const x = tf.tidy(() => tf.reshape(tf.cast(tf.oneHot(tf.tensor2d(ex.tokens, [N, L], 'int32'), V), 'float32'), [1, N, L, V]));
  const stamp = stampFn(tf, x);
  const disallow = tf.tensor4d(positionVocab(subject), [1, 1, L, V]);
  const allowedPos = tf.tensor4d(posMask, [1, 1, L, 1]);
  const targets = tf.tensor2d(targetsData, [C * N, C]);
  // tf.variable() keeps its initial tensor alive: make both inside tidy() so only the variables stay.
  const a = tf.tidy(() => tf.variable(tf.tensor4d(aInit, [C, 1, L, 1]), true, undefined, 'float32'));
  const theta = tf.tidy(() => tf.variable(tf.tensor4d(thInit, [C, 1, L, V]), true, undefined, 'float32'));
  const opt = tf.train.adam(o.learningRate);

  const lambda = new Float64Array(C).fill(o.lambdaInit);
  const upCount = new Int32Array(C);
  const downCount = new Int32Array(C);
  const best: ClassTrigger[] = Array.from({ length: C }, () => ({
    norm: P,
    reached: false,
    success: 0,
    mask: [],
    tokens: [],
    lambda: o.lambdaInit,
  }));

  try {
    for (let step = 0; step < o.steps; step++) {
      signal.throwIfAborted();
      let keptLogits: ReturnType<Tf['keep']> | undefined;
      let keptMask: ReturnType<Tf['keep']> | undefined;
      const lam = tf.tensor1d(Float32Array.from(lambda));
      const { value, grads } = tf.variableGrads(() => {
        const m = tf.mul(tf.sigmoid(a), allowedPos);
        const p = tf.softmax(tf.add(theta, disallow));
        // A plugin sees tfjs only through ctx.tf's type and cannot name tfjs's Rank enum to write reshape<Rank.R3>.
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
        const mixed = tf.reshape(stamp(m, p), [C * N, L, V]) as Parameters<WhiteBoxSubject['forward']>[0];
        const logits = subject.forward(mixed);
        keptLogits = tf.keep(logits);
        keptMask = tf.keep(m);
        const ce = tf.mean(tf.reshape(tf.neg(tf.sum(tf.mul(targets, tf.logSoftmax(logits)), 1)), [C, N]), 1);
        const norms = tf.sum(m, [1, 2, 3]);
        return tf.sum<ReturnType<Tf['scalar']>>(tf.add(ce, tf.mul(lam, norms)));
      }, [a, theta]);
      opt.applyGradients(grads as Parameters<typeof opt.applyGradients>[0]);
      value.dispose();
      tf.dispose(grads);
      lam.dispose();

      const predT = tf.argMax(keptLogits!, 1);
      const pred = predT.dataSync() as Int32Array;
      predT.dispose();
      const mask = keptMask!.dataSync() as Float32Array;
      keptLogits!.dispose();
      keptMask!.dispose();
      let thetaData: Float32Array | undefined;
      for (let c = 0; c < C; c++) {
        let hits = 0;
        for (let n = 0; n < N; n++) if (pred[c * N + n] === c) hits++;
        const success = hits / N;
        let norm = 0;
        for (let p = 0; p < L; p++) norm += mask[c * L + p]!;
        if (success >= o.successThreshold) {
          if (norm < best[c]!.norm || !best[c]!.reached) {
            if (!thetaData) {
              const t = tf.add(theta, disallow);
              thetaData = t.dataSync() as Float32Array;
              t.dispose();
            }
            const tokens: number[] = [];
            for (let p = 0; p < L; p++) {
              let arg = 0;
              const base = (c * L + p) * V;
              for (let v = 1; v < V; v++) if (thetaData[base + v]! > thetaData[base + arg]!) arg = v;
              tokens.push(arg);
            }
            best[c] = { norm, reached: true, success, mask: Array.from(mask.subarray(c * L, (c + 1) * L)), tokens, lambda: lambda[c]! };
          }
          upCount[c]!++;
          downCount[c] = 0;
        } else {
          downCount[c]!++;
          upCount[c] = 0;
        }
        // Neural Cleanse's schedule: raise λ after `patience` successes, lower it after `patience` failures.
        if (upCount[c]! >= o.patience) {
          lambda[c] = lambda[c]! * o.lambdaMultiplier;
          upCount[c] = 0;
        } else if (downCount[c]! >= o.patience) {
          lambda[c] = lambda[c]! / o.lambdaMultiplier ** 1.5;
          downCount[c] = 0;
        }
      }
    }
  } finally {
    opt.dispose();
    tf.dispose([x, disallow, allowedPos, targets, a, theta]);
  }
  for (let c = 0; c < C; c++) best[c]!.lambda = lambda[c]!;
  return best;
}
