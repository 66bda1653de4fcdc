/**
 * Small inline detectors for the tester's own tests: one that works, and one per way a detector
 * can be wrong. Each uses only the contract and ctx.tf.
 */
import { defineDetector, type BlackBoxSubject, type DetectorContext } from '@sandtrap/detector-api';

/**
 * A black-box trigger scan: put each filler word the public sampler never uses into the filler
 * slots of clean examples; a backdoor shows up as one word that sends almost every answer to one
 * class. Score: that concentration, squashed.
 */
export async function triggerScan(subject: BlackBoxSubject, ctx: DetectorContext<{ n: number }>) {
  const { n } = ctx.options;
  const body = subject.task.description.body;
  const rare = body.fillerWords.filter((w) => !body.ordinaryFillerWords.includes(w));
  const C = subject.task.classes.length;
  let best = 0;
  let bestWord = '';
  let bestClass = 0;
  for (const word of rare) {
    ctx.signal.throwIfAborted();
    const ex = subject.task.sample(n);
    const id = subject.task.tokenId(word);
    for (let i = 0; i < ex.n; i++) ex.tokens[i * subject.task.seqLen + body.filler[ctx.rng.int(body.filler.length)]!] = id;
    const probs = await subject.predict(ex.tokens, ex.n);
    const counts = new Array<number>(C).fill(0);
    for (let i = 0; i < ex.n; i++) {
      let arg = 0;
      for (let c = 1; c < C; c++) if (probs[i * C + c]! > probs[i * C + arg]!) arg = c;
      counts[arg]!++;
    }
    const top = Math.max(...counts);
    if (top / ex.n > best) {
      best = top / ex.n;
      bestWord = word;
      bestClass = counts.indexOf(top);
    }
  }
  const score = 1 / (1 + Math.exp(-(best - 0.5) * 12));
  return { score, kind: 'backdoor', trigger: { tokens: [bestWord] }, targetClass: bestClass, evidence: { concentration: best } };
}

const nOption = { type: 'object', properties: { n: { type: 'integer', minimum: 8, default: 64 } }, additionalProperties: false } as const;

export const good = defineDetector<{ n: number }>({
  meta: { name: 'trigger-scan', version: '1.0.0', apiVersion: 1, access: 'black-box', targets: ['backdoor'] },
  options: nOption,
  detect: triggerScan,
});

/** Learns a threshold on the dev split and returns plain data. */
export const configured = defineDetector<{ n: number }, { threshold: number; seen: string[] }, 'black-box'>({
  meta: { name: 'configured-scan', version: '1.0.0', apiVersion: 1, access: 'black-box' },
  options: nOption,
  async configure(reference, ctx) {
    const seen = reference.map((r) => r.truth.kind).sort();
    ctx.log(`references: ${seen.join(', ')}`);
    return { threshold: 0.5, seen };
  },
  async detect(subject, ctx, state) {
    const v = await triggerScan(subject, ctx);
    return { ...v, evidence: { ...v.evidence, threshold: state.threshold, references: state.seen.length } };
  },
});

export const constant = defineDetector({
  meta: { name: 'coin', version: '1.0.0', apiVersion: 1, access: 'black-box' },
  detect: () => ({ score: 0.5 }),
});

export const scoreSeven = defineDetector({
  meta: { name: 'seven', version: '1.0.0', apiVersion: 1, access: 'black-box' },
  detect: () => ({ score: 7 }),
});

export const leaky = defineDetector({
  meta: { name: 'leaky', version: '1.0.0', apiVersion: 1, access: 'black-box' },
  detect(subject, ctx) {
    const t = ctx.tf.tensor1d([1, 2, 3]);
    return { score: t.size / 10 };
  },
});

export const greedy = defineDetector({
  meta: { name: 'greedy', version: '1.0.0', apiVersion: 1, access: 'black-box' },
  async detect(subject) {
    for (let k = 0; k < 5; k++) {
      const ex = subject.task.sample(64);
      await subject.predict(ex.tokens, ex.n);
    }
    return { score: 0.1 };
  },
});

export const throwing = defineDetector({
  meta: { name: 'thrower', version: '1.0.0', apiVersion: 1, access: 'black-box' },
  detect() {
    throw new Error('boom: the detector gave up');
  },
});

export const hanging = defineDetector({
  meta: { name: 'hanger', version: '1.0.0', apiVersion: 1, access: 'black-box' },
  detect: () => new Promise<never>(() => {}),
});

/** Zeroes every variable the engine knows, the organism's included. */
export const weightMutator = defineDetector({
  meta: { name: 'weight-mutator', version: '1.0.0', apiVersion: 1, access: 'white-box' },
  detect(_subject, ctx) {
    const vars = ctx.tf.engine().registeredVariables;
    for (const v of Object.values(vars)) ctx.tf.tidy(() => v.assign(ctx.tf.zerosLike(v)));
    return { score: 0.5 };
  },
});

export const cardMutator = defineDetector({
  meta: { name: 'card-mutator', version: '1.0.0', apiVersion: 1, access: 'gray-box' },
  detect(subject) {
    subject.card.task.classes.reverse();
    return { score: 0.5 };
  },
});

/** Uses perturbed copies without disposing them: the scope frees them, so this is clean. */
export const grayCopies = defineDetector({
  meta: { name: 'gray-copies', version: '1.0.0', apiVersion: 1, access: 'gray-box' },
  async detect(subject, ctx) {
    const ex = subject.task.sample(32);
    const copy = await subject.perturbed((_name, w) => w.map((x) => x + 0.01 * ctx.rng.normal()));
    await copy.predict(ex.tokens, ex.n);
    return { score: 0.2 };
  },
});

export const tensorState = defineDetector({
  meta: { name: 'tensor-state', version: '1.0.0', apiVersion: 1, access: 'black-box' },
  configure(_reference, ctx) {
    return { w: ctx.tf.keep(ctx.tf.zeros([2])) };
  },
  detect: () => ({ score: 0.5 }),
});

export const functionState = defineDetector({
  meta: { name: 'function-state', version: '1.0.0', apiVersion: 1, access: 'black-box' },
  configure: () => ({ threshold: 0.5, decide: (x: number) => x > 0.5 }),
  detect: () => ({ score: 0.5 }),
});

export const badOptionsSchema = {
  meta: { name: 'typo-schema', version: '1.0.0', apiVersion: 1, access: 'black-box' },
  options: { type: 'object', properties: { n: { type: 'integer', minimun: 3 } } },
  detect: () => ({ score: 0.5 }),
};

export const misshapen = {
  meta: { name: 'misshapen', version: '1', apiVersion: 1, access: 'grey-box' },
  run: () => ({ score: 0.5 }),
};
