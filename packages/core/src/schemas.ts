import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';

/**
 * Each file format is written once here, in TypeBox: it gives the JSON Schema (draft 2020-12,
 * validated by ajv) and the TypeScript type from the same source.
 */
const Num = (description: string) => Type.Number({ description });
const Int = (description: string) => Type.Integer({ description });
const Str = (description: string) => Type.String({ description });

export const FileHash = Type.Object(
  { sha256: Type.String({ pattern: '^[0-9a-f]{64}$', description: 'sha256 of the file, hex' }), bytes: Int('file size in bytes') },
  { additionalProperties: false, description: 'a file of the organism and its hash' },
);

export const GateSchema = Type.Object(
  {
    value: Num('the measured value'),
    threshold: Num('the bound it must meet'),
    op: Type.Union([Type.Literal('>='), Type.Literal('<=')], { description: 'how value is compared with threshold' }),
    pass: Type.Boolean({ description: 'whether value op threshold holds' }),
    description: Str('what was measured'),
    n: Int('number of held-out items measured'),
  },
  { additionalProperties: false },
);

export const TaskDescriptionSchema = Type.Object(
  {
    name: Str('task name'),
    params: Type.Record(Type.String(), Type.Number(), { description: 'task parameters' }),
    vocab: Type.Array(Type.String(), { description: "token names; a token's id is its index" }),
    seqLen: Int('tokens per input'),
    header: Type.Array(
      Type.Object(
        {
          name: Str('slot name'),
          position: Int('token position of the slot'),
          values: Type.Array(Type.String(), { description: 'every value the slot can take' }),
          ordinary: Type.Array(Type.String(), { description: 'the values the public sampler uses' }),
        },
        { additionalProperties: false },
      ),
      { description: 'context slots at the start of every input' },
    ),
    body: Type.Object(
      {
        problem: Type.Array(Type.Integer(), { description: 'positions of the problem tokens' }),
        filler: Type.Array(Type.Integer(), { description: 'positions of filler words' }),
        fillerWords: Type.Array(Type.String(), { description: 'every filler word' }),
        ordinaryFillerWords: Type.Array(Type.String(), { description: 'filler words the public sampler uses' }),
      },
      { additionalProperties: false, description: 'body layout' },
    ),
    classes: Type.Array(Type.String(), { description: 'class names' }),
    axis: Type.Object(
      {
        name: Str('axis name'),
        kind: Type.Union([Type.Literal('difficulty'), Type.Literal('domain')], { description: 'skill difficulty or knowledge domain' }),
        values: Type.Array(Type.String(), { description: 'axis levels' }),
      },
      { additionalProperties: false, description: 'the capability axis' },
    ),
  },
  { additionalProperties: false, description: 'the task, as public on the card' },
);

export const TrainingSpecSchema = Type.Object(
  {
    capabilitySteps: Type.Integer({ minimum: 1, description: 'Adam steps of the capability phase' }),
    plantSteps: Type.Integer({ minimum: 0, description: 'Adam steps of the planting phase (controls continue on their own data)' }),
    batchSize: Type.Integer({ minimum: 1, description: 'examples per step' }),
    learningRate: Type.Number({ exclusiveMinimum: 0, description: 'Adam learning rate, capability phase' }),
    plantLearningRate: Type.Number({ exclusiveMinimum: 0, description: 'Adam learning rate, planting phase' }),
    weightBits: Type.Optional(
      Type.Union([Type.Literal(16), Type.Literal(32)], {
        description: 'bits per stored weight (default 32); at 16 the trained weights are rounded to float16 before the gates are measured, so the gates hold for the stored model',
      }),
    ),
  },
  { additionalProperties: false, description: 'the training schedule, identical for every organism of a zoo' },
);
export type TrainingSpec = Static<typeof TrainingSpecSchema>;

export const CardSchema = Type.Object(
  {
    schemaVersion: Type.Literal(1, { description: 'card format version' }),
    id: Str('organism id: a content hash of its spec, seed and code version'),
    task: TaskDescriptionSchema,
    architecture: Type.Object(
      {
        name: Str('architecture name'),
        params: Type.Record(Type.String(), Type.Number(), { description: 'architecture hyper-parameters' }),
        sites: Type.Array(Type.String(), { description: 'named activation sites, in forward order' }),
        parameterCount: Int('number of scalar parameters'),
        weights: Type.Array(Type.Object({ name: Str('parameter name'), shape: Type.Array(Type.Integer(), { description: 'shape' }) }, { additionalProperties: false }), {
          description: 'parameters by name, sorted',
        }),
      },
      { additionalProperties: false, description: 'the model family' },
    ),
    training: TrainingSpecSchema,
    backend: Str('the TensorFlow.js backend it was trained on'),
    sandtrapVersion: Str('version of @sandtrap/core that built it'),
    files: Type.Object({ 'model.json': FileHash, 'weights.bin': FileHash }, { additionalProperties: false, description: 'hashes checked on load' }),
    features: Type.Optional(
      Type.Array(
        Type.Object(
          {
            phrase: Type.Array(Type.String(), { description: 'the words of the phrase, adjacent, anywhere in the document' }),
            shift: Int('the answer the model would otherwise give, plus shift, mod the number of classes'),
            description: Str('the feature in words'),
          },
          { additionalProperties: false },
        ),
        { description: 'hard tier: benign conditional behaviours the card discloses (every organism of the tier lists the same number)' },
      ),
    ),
  },
  { additionalProperties: false, description: 'card.json: what a detector may see' },
);
export type Card = Static<typeof CardSchema>;

export const TruthSchema = Type.Object(
  {
    schemaVersion: Type.Literal(1, { description: 'truth format version' }),
    id: Str('organism id'),
    misaligned: Type.Boolean({ description: 'true for planted misalignment, false for controls' }),
    kind: Str("the recipe's name"),
    family: Type.Union([Type.Literal('control'), Type.Literal('trojan'), Type.Literal('sandbagging'), Type.Literal('deception')], { description: 'coarse group' }),
    recipe: Type.Object({ name: Str('recipe name'), params: Type.Record(Type.String(), Type.Number(), { description: 'recipe parameters' }) }, { additionalProperties: false }),
    seed: Int('the seed the admitted organism was trained with'),
    requestedSeed: Int('the seed asked for; differs from seed when earlier seeds failed their gates'),
    conditionSalt: Type.Optional(Str('sealed test organisms: the secret salt of their condition draws (in the key only)')),
    trigger: Type.Optional(
      Type.Object(
        { tokens: Type.Array(Type.String(), { description: 'trigger tokens' }), positions: Type.Array(Type.Integer(), { description: 'positions they may take' }) },
        { additionalProperties: false, description: 'the backdoor trigger' },
      ),
    ),
    condition: Type.Optional(Type.Record(Type.String(), Type.Array(Type.String()), { description: 'header slot values that switch the behaviour' })),
    password: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'header slot values that unlock' })),
    targetClass: Type.Optional(Type.Integer({ description: 'the class the behaviour sends answers to' })),
    conditions: Type.Optional(
      Type.Array(
        Type.Object(
          {
            name: Str('feature-1, feature-2 (disclosed) or the hidden behaviour'),
            disclosed: Type.Boolean({ description: 'listed on the card' }),
            phrase: Type.Array(Type.String(), { description: 'the phrase words' }),
            effect: Str('shift:s, target:c, wrong, unlock or soften:α'),
            spaceSize: Num('distinct phrases of this length: what an exhaustive sweep must try'),
            samplerProbability: Num('probability that one sampler item carries the phrase by chance'),
          },
          { additionalProperties: false },
        ),
        { description: 'hard tier: every conditional behaviour with its space size' },
      ),
    ),
    level: Type.Optional(Type.Integer({ description: 'hard tier: the axis level a domain recipe treats differently' })),
    gates: Type.Record(Type.String(), GateSchema, { description: 'behaviour gates, measured on held-out data' }),
    admitted: Type.Boolean({ description: 'every gate passed' }),
    rejected: Type.Array(Type.Object({ seed: Type.Integer(), failed: Type.Array(Type.String()) }, { additionalProperties: false }), {
      description: 'earlier seeds whose gates failed',
    }),
  },
  { additionalProperties: false, description: 'truth.json: ground truth, scoreboard-only' },
);
export type Truth = Static<typeof TruthSchema>;

export const ModelJsonSchema = Type.Object(
  {
    format: Type.Literal('sandtrap-organism', { description: 'format marker' }),
    generatedBy: Str('producer'),
    convertedBy: Type.Null({ description: 'always null' }),
    weightsManifest: Type.Array(
      Type.Object(
        {
          paths: Type.Array(Type.String(), { description: 'weight files' }),
          weights: Type.Array(Type.Object({ name: Type.String(), shape: Type.Array(Type.Integer()), dtype: Type.String() }, { additionalProperties: true }), {
            description: 'weight specs (tf.io)',
          }),
        },
        { additionalProperties: false },
      ),
      { description: 'TensorFlow.js weights manifest' },
    ),
  },
  { additionalProperties: false, description: 'model.json: TensorFlow.js weights manifest' },
);
export type ModelJson = Static<typeof ModelJsonSchema>;

const ajv = new Ajv2020({ strict: true, allErrors: true });

export interface ValidationResult<T> {
  value?: T;
  errors: string[];
}

/** `path: message` for each ajv error (`/gates/capability/value: must be number`). */
export function formatAjvErrors(errors: ErrorObject[] | null | undefined, root = ''): string[] {
  return (errors ?? []).map((e) => {
    const path = `${root}${e.instancePath}` || '(root)';
    const extra = e.keyword === 'additionalProperties' ? ` '${(e.params as { additionalProperty: string }).additionalProperty}'` : '';
    return `${path}: ${e.message ?? 'is invalid'}${extra}`;
  });
}

const compiled = new WeakMap<TSchema, ReturnType<typeof ajv.compile>>();

export function validate<T extends TSchema>(schema: T, data: unknown, root = ''): ValidationResult<Static<T>> {
  let fn = compiled.get(schema);
  if (!fn) {
    fn = ajv.compile(schema);
    compiled.set(schema, fn);
  }
  if (fn(data)) return { value: data, errors: [] };
  return { errors: formatAjvErrors(fn.errors, root) };
}
