import { createSubject, getTf, Rng, sha256, stableStringify, type BudgetMeter, type Card, type Model, type SubjectScope } from '@sandtrap/core';
import type { Access, OrganismCard, SubjectFor } from '@sandtrap/detector-api';

/**
 * The one cast between core and the contract. `@sandtrap/core` imports no other sandtrap package,
 * so `createSubject()` is typed `Record<string, unknown>`; at run time it is the plain frozen object
 * of the requested access level, and `types-fit.ts` checks at compile time that every member core
 * builds it from fits the contract's `BlackBoxSubject` / `GrayBoxSubject` / `WhiteBoxSubject`.
 * This adapter only checks (cheaply, at run time) that the members of the level are there.
 */
export function asSubject<A extends Access>(raw: Record<string, unknown>, access: A): SubjectFor<A> {
  const need =
    access === 'white-box'
      ? ['card', 'task', 'predict', 'perturbed', 'finetune', 'dispose', 'weights', 'activations', 'forward']
      : access === 'gray-box'
        ? ['card', 'task', 'predict', 'perturbed', 'finetune', 'dispose']
        : ['card', 'task', 'predict'];
  const missing = need.filter((k) => !(k in raw));
  if (missing.length) throw new Error(`asSubject: the ${access} subject from createSubject() lacks ${missing.join(', ')}`);
  return raw as unknown as SubjectFor<A>;
}

/** Core's card as the contract's `OrganismCard` (checked to fit in `types-fit.ts`). */
export function asCard(card: Card): OrganismCard {
  return card;
}

/** Builds the subject of one organism at an access level, with its meter and scope. */
export function makeSubject<A extends Access>(opts: { model: Model; card: Card; access: A; meter: BudgetMeter; sampleSeed: number; scope: SubjectScope }): SubjectFor<A> {
  return asSubject(createSubject({ model: opts.model, card: opts.card, access: opts.access, meter: opts.meter, sampleSeed: opts.sampleSeed }, opts.scope), opts.access);
}

/** What must not change while a detector looks at an organism. */
export interface Fingerprint {
  /** sha256 over every parameter's name, shape and values. */
  weights: string;
  /** sha256 of the class probabilities on a fixed batch of 64 clean examples. */
  predictions: string;
  /** sha256 of the card (the object the subject hands out), key-sorted. */
  card: string;
}

/** Fingerprints a model and its card, outside any budget. */
export function fingerprint(model: Model, card: Card): Fingerprint {
  const w = model.weights();
  const h: string[] = [];
  for (const name of Object.keys(w).sort()) {
    const p = w[name]!;
    h.push(`${name}[${p.shape.join(',')}]:${sha256(new Uint8Array(p.values.buffer, p.values.byteOffset, p.values.byteLength))}`);
  }
  // A fixed batch: uniformly random tokens from a fixed seed (any input will do; the same one twice).
  const rng = new Rng(0x5a4d);
  const n = 64;
  const L = card.task.seqLen;
  const V = card.task.vocab.length;
  const tokens = new Int32Array(n * L);
  for (let i = 0; i < tokens.length; i++) tokens[i] = rng.int(V);
  const probs = model.predictProbs(tokens, n);
  return {
    weights: sha256(h.join('\n')),
    predictions: sha256(new Uint8Array(probs.buffer, probs.byteOffset, probs.byteLength)),
    card: sha256(stableStringify(card)),
  };
}

/** The number of live tensors in the one engine. */
export function liveTensors(): number {
  return getTf().memory().numTensors;
}
