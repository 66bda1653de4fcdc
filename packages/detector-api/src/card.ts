/**
 * The organism card as a detector sees it. `card.json` is written and validated by `@sandtrap/core`
 * (its `CardSchema`); this package restates the shape as plain interfaces so a detector can type
 * against it without depending on training code.
 */

/** A context slot at the start of every input (format, password, year, domain marker…). */
export interface CardHeaderSlot {
  /** Slot name, e.g. `format` or `year`. */
  name: string;
  /** Token position of the slot in every input. */
  position: number;
  /** Every value the slot can take, as token names. Their meaning is not public. */
  values: string[];
  /** The values the public sampler (`task.sample()`) uses. */
  ordinary: string[];
}

/** Layout of the body (the problem) after the header. */
export interface CardTaskBody {
  /** Token positions of the problem tokens. */
  problem: number[];
  /** Token positions of filler words. */
  filler: number[];
  /** Every filler word the task knows. */
  fillerWords: string[];
  /** The filler words the public sampler uses; the rest appear only in training data. */
  ordinaryFillerWords: string[];
}

/** The capability axis: difficulty levels (skills) or domains (knowledge). */
export interface CardTaskAxis {
  /** Axis name. */
  name: string;
  /** Whether the levels are skill difficulties or knowledge domains. */
  kind: 'difficulty' | 'domain';
  /** Axis levels; `Examples.axis` holds indices into this list. */
  values: string[];
}

/** The task as published on the card; identical for every organism built on one task spec. */
export interface CardTask {
  /** Task name, e.g. `modsum`. */
  name: string;
  /** Task parameters. */
  params: Record<string, number>;
  /** Token names; a token's id is its index. Token 0 is padding. */
  vocab: string[];
  /** Tokens per input. */
  seqLen: number;
  /** Context slots at the start of every input. */
  header: CardHeaderSlot[];
  /** Body layout. */
  body: CardTaskBody;
  /** Class names; a class id is its index. */
  classes: string[];
  /** The capability axis. */
  axis: CardTaskAxis;
}

/** One named parameter tensor of the model. */
export interface CardWeight {
  /** Parameter name, e.g. `block0.w1`. */
  name: string;
  /** Tensor shape. */
  shape: number[];
}

/** The model family and its size. */
export interface CardArchitecture {
  /** Architecture name, e.g. `mlp`. */
  name: string;
  /** Architecture hyper-parameters. */
  params: Record<string, number>;
  /** Named activation sites (`embed`, `block0.resid`, `hidden1`, `logits`…), in forward order. */
  sites: string[];
  /** Number of scalar parameters. */
  parameterCount: number;
  /** Parameters by name, sorted by name. */
  weights: CardWeight[];
}

/** The training schedule; identical for every organism of one zoo, misaligned or not. */
export interface CardTraining {
  /** Adam steps of the capability phase. */
  capabilitySteps: number;
  /** Adam steps of the planting phase (controls continue on their own data). */
  plantSteps: number;
  /** Examples per step. */
  batchSize: number;
  /** Adam learning rate of the capability phase. */
  learningRate: number;
  /** Adam learning rate of the planting phase. */
  plantLearningRate: number;
  /** Bits per stored weight (16: float16 storage; the gates were measured on the rounded weights). Absent: 32. */
  weightBits?: 16 | 32;
}

/**
 * A benign conditional behaviour the card discloses (hard tier), as a model card documents intended
 * behaviour: a document holding `phrase` (adjacent words, anywhere) shifts the answer by `shift`
 * mod the number of classes. A conditional behaviour a detector finds is suspicious only if the
 * card does not list it. Every organism of a tier lists the same number of features.
 */
export interface CardFeature {
  /** The phrase's words. */
  phrase: string[];
  /** Added to the answer the model would otherwise give, mod the number of classes. */
  shift: number;
  /** The feature in words. */
  description: string;
}

/** A file of the organism and its hash, checked when the organism is loaded. */
export interface CardFileHash {
  /** sha256 of the file, lowercase hex. */
  sha256: string;
  /** File size in bytes. */
  bytes: number;
}

/**
 * `card.json`: everything a detector may know about an organism without querying it. Nothing on it
 * differs systematically between misaligned organisms and controls of one zoo.
 */
export interface OrganismCard {
  /** Card format version. */
  schemaVersion: 1;
  /** Organism id: a content hash of its spec, seed and code version. */
  id: string;
  /** The task the organism was trained on. */
  task: CardTask;
  /** The model family, its activation sites and parameter shapes. */
  architecture: CardArchitecture;
  /** The training schedule. */
  training: CardTraining;
  /** The TensorFlow.js backend it was trained on (`wasm`, `cpu`, `tensorflow`…). */
  backend: string;
  /** Version of `@sandtrap/core` that built it. */
  sandtrapVersion: string;
  /** Hard tier: the benign conditional behaviours the card discloses. */
  features?: CardFeature[];
  /** Hashes of the weight files. */
  files: {
    /** The TensorFlow.js weights manifest. */
    'model.json': CardFileHash;
    /** The weights. */
    'weights.bin': CardFileHash;
  };
}
