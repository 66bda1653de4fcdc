import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { isFlagged } from './define.js';
import type { AnyDetector, DetectorMeta, JsonObject, OptionsSchema, Verdict } from './detector.js';
import type { Access } from './subject.js';

/**
 * The contract's data formats, each written once in TypeBox: the JSON Schema (draft 2020-12,
 * committed under `schema/` by `scripts/generate-schemas.ts`) and, checked below, the
 * hand-documented TypeScript types.
 */

/** The access levels, weakest first. */
export const ACCESS_LEVELS = ['black-box', 'gray-box', 'white-box'] as const satisfies readonly Access[];

/** The JSON Schema dialect of every schema here and of detectors' `options`. */
export const JSON_SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema';

// npm's package-name rule (lowercase, URL-safe, optional scope), so a detector can be named after its package.
const NAME_PATTERN = '^(?:@[a-z0-9][a-z0-9._~-]*/)?[a-z0-9][a-z0-9._~-]*$';
// semver.org's grammar, minus leading-zero checks.
const SEMVER_PATTERN = '^\\d+\\.\\d+\\.\\d+(?:-[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?(?:\\+[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?$';

/** JSON Schema of {@link DetectorMeta}. */
export const DetectorMetaSchema = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      maxLength: 214,
      pattern: NAME_PATTERN,
      description: 'Detector id shown on the scoreboard: lowercase, npm-name-like, e.g. noise-injection.',
    }),
    version: Type.String({ pattern: SEMVER_PATTERN, description: "The detector's own version (semver); part of the result cache key." }),
    apiVersion: Type.Literal(1, { description: 'The version of the detector contract (@sandtrap/detector-api) the detector was written for.' }),
    access: Type.Unsafe<Access>({
      type: 'string',
      enum: [...ACCESS_LEVELS],
      description:
        'How much of the organism the detector needs: black-box (card, task, predictions), gray-box (adds perturbed and fine-tuned copies), white-box (adds weights, activations, gradients).',
    }),
    targets: Type.Optional(
      Type.Array(Type.String({ minLength: 1, description: 'An organism kind, e.g. backdoor.' }), {
        uniqueItems: true,
        description: 'Organism kinds the detector claims to catch. Informational.',
      }),
    ),
    references: Type.Optional(
      Type.Array(Type.String({ minLength: 1, description: 'arXiv:<id>, a DOI or a URL.' }), {
        description: 'Where the method comes from.',
      }),
    ),
    description: Type.Optional(Type.String({ description: 'One sentence: what the detector measures.' })),
  },
  { additionalProperties: false, title: 'DetectorMeta', description: 'Who a detector is, what access it needs, and what it claims to catch.' },
);

/** JSON Schema of {@link Verdict}. */
export const VerdictSchema = Type.Object(
  {
    score: Type.Number({
      minimum: 0,
      maximum: 1,
      description: "The detector's probability that the organism is misaligned, in [0, 1]. Must be finite (NaN is rejected).",
    }),
    flagged: Type.Optional(Type.Boolean({ description: "The detector's own decision. Default: score >= 0.5." })),
    kind: Type.Optional(Type.String({ minLength: 1, description: 'The organism kind the detector believes it found, e.g. backdoor.' })),
    trigger: Type.Optional(
      Type.Object(
        {
          tokens: Type.Array(Type.String({ minLength: 1, description: 'A token name from the task vocabulary.' }), {
            minItems: 1,
            description: 'Trigger tokens, as token names.',
          }),
          positions: Type.Optional(Type.Array(Type.Integer({ minimum: 0, description: 'A token position.' }), { description: 'Token positions where the trigger goes.' })),
        },
        { additionalProperties: false, description: 'The trigger the detector believes it found.' },
      ),
    ),
    targetClass: Type.Optional(Type.Integer({ minimum: 0, description: 'The class the misbehaviour sends answers to.' })),
    evidence: Type.Optional(Type.Unsafe<JsonObject>({ type: 'object', description: 'Anything worth showing in a report, as a JSON object (finite numbers only).' })),
  },
  { additionalProperties: false, title: 'Verdict', description: "A detector's answer about one organism." },
);

// The documented interfaces and the schemas must describe the same data.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const metaMatches: Same<DetectorMeta, Static<typeof DetectorMetaSchema>> = true;
const verdictMatches: Same<Verdict, Static<typeof VerdictSchema>> = true;
void metaMatches;
void verdictMatches;

/** Libraries return this and let the caller decide (changesets' `ParseResult`). */
export interface ValidationResult<T> {
  /** The validated value, when there are no errors. */
  value?: T;
  /** One `path: message` line per problem; empty when valid. */
  errors: string[];
}

// ——— error formatting ———

/** A problem at a location, before it is rendered as a pointer (`/a/0`) or a dotted path (`a[0]`). */
interface Issue {
  path: (string | number)[];
  message: string;
}

function typeName(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'array';
  if (typeof x === 'number' && Number.isInteger(x)) return 'integer';
  if (typeof x === 'object') {
    const proto = Object.getPrototypeOf(x) as { constructor?: { name?: string } } | null;
    return proto === null || proto === Object.prototype ? 'object' : (proto.constructor?.name ?? 'object');
  }
  return typeof x;
}

function found(x: unknown): string {
  if (typeof x === 'string') return `'${x.length > 60 ? `${x.slice(0, 57)}...` : x}'`;
  if (typeof x === 'number' || typeof x === 'boolean' || x === null || x === undefined) return String(x);
  return typeName(x);
}

function decodePointer(pointer: string): string[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

const SHOW_FOUND = new Set(['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf', 'pattern', 'minLength', 'maxLength', 'format']);

function ajvIssues(errors: readonly ErrorObject[] | null | undefined): Issue[] {
  return (errors ?? []).map((e): Issue => {
    const path: (string | number)[] = decodePointer(e.instancePath);
    const p = e.params as Record<string, unknown>;
    switch (e.keyword) {
      case 'required':
        return { path: [...path, String(p.missingProperty)], message: 'is required' };
      case 'additionalProperties': {
        const props = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
        return { path: [...path, String(p.additionalProperty)], message: `is not allowed${props.length ? `; allowed: ${props.join(', ')}` : ''}` };
      }
      case 'enum':
        return { path, message: `must be one of ${(p.allowedValues as unknown[]).map(String).join(', ')}; found ${found(e.data)}` };
      case 'const':
        return { path, message: `must be ${JSON.stringify(p.allowedValue)}; found ${found(e.data)}` };
      case 'type':
        return { path, message: `must be ${String(p.type)}; found ${found(e.data)}` };
      default:
        return { path, message: `${e.message ?? 'is invalid'}${SHOW_FOUND.has(e.keyword) ? `; found ${found(e.data)}` : ''}` };
    }
  });
}

/** `root/a/0` (JSON Pointer after `root`); `(root)` for the whole value when `root` is empty. */
function pointer(path: readonly (string | number)[], root: string): string {
  const s = path.map((k) => `/${String(k).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
  return `${root}${s}` || '(root)';
}

/** `root.a[0]`, for sentences. */
function dotted(path: readonly (string | number)[], root: string): string {
  return path.reduce<string>((acc, k) => (typeof k === 'number' || /^\d+$/.test(k) ? `${acc}[${k}]` : `${acc}.${k}`), root);
}

/**
 * Checks that a value survives JSON unchanged: finite numbers (NaN and ±Infinity become null),
 * plain objects and arrays only (a typed array turns into an object), no cycles.
 */
function jsonIssues(x: unknown, path: (string | number)[], seen: Set<object>, out: Issue[]): void {
  switch (typeof x) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(x)) out.push({ path, message: `must be a finite number; found ${x}` });
      return;
    case 'object':
      break;
    default:
      out.push({ path, message: `must be JSON data; found ${typeof x}` });
      return;
  }
  if (x === null) return;
  if (seen.has(x)) {
    out.push({ path, message: 'is a circular reference; JSON cannot hold it' });
    return;
  }
  const kind = typeName(x);
  if (kind !== 'object' && kind !== 'array') {
    const hint = ArrayBuffer.isView(x) ? ' (convert it with Array.from())' : '';
    out.push({ path, message: `must be a plain object, array or primitive; found ${kind}${hint}` });
    return;
  }
  seen.add(x);
  if (Array.isArray(x)) {
    x.forEach((v, i) => {
      if (v === undefined) out.push({ path: [...path, i], message: 'must be JSON data; found undefined (JSON.stringify turns it into null)' });
      else jsonIssues(v, [...path, i], seen, out);
    });
  } else {
    for (const [k, v] of Object.entries(x)) if (v !== undefined) jsonIssues(v, [...path, k], seen, out);
  }
  seen.delete(x);
}

// ——— the contract's own formats ———

// `strict` also sets ajv's strictNumbers (NaN and ±Infinity are not numbers); `verbose` keeps the
// offending data and parent schema on each error, for "found …" and "allowed: …".
const contractAjv = new Ajv2020({ strict: true, allErrors: true, verbose: true });
const validators = new WeakMap<TSchema, ValidateFunction>();

function contractIssues(schema: TSchema, data: unknown): Issue[] {
  let fn = validators.get(schema);
  if (!fn) {
    fn = contractAjv.compile(schema);
    validators.set(schema, fn);
  }
  const jsonProblems: Issue[] = [];
  jsonIssues(data, [], new Set(), jsonProblems);
  if (fn(data)) return jsonProblems;
  // Where the JSON check already said why (NaN, a typed array), ajv's "must be number" adds nothing.
  const explained = new Set(jsonProblems.map((i) => pointer(i.path, '')));
  return [...ajvIssues(fn.errors).filter((i) => !explained.has(pointer(i.path, ''))), ...jsonProblems];
}

/** The validated verdict, with `flagged` filled in. */
export type ValidatedVerdict = Verdict & { flagged: boolean };

/**
 * Validates a detector's return value against {@link VerdictSchema}, and that it is JSON (every
 * number finite — JSON Schema cannot express "not NaN" — and no typed arrays or cycles).
 * The value returned is a JSON copy, detached from the detector's object, with `flagged` set.
 */
export function validateVerdict(verdict: unknown): ValidationResult<ValidatedVerdict> {
  const issues = contractIssues(VerdictSchema, verdict);
  if (issues.length) return { errors: issues.map((i) => `${pointer(i.path, '')}: ${i.message}`) };
  const value = JSON.parse(JSON.stringify(verdict)) as Verdict;
  return { value: { ...value, flagged: isFlagged(value) }, errors: [] };
}

function metaIssues(meta: unknown): Issue[] {
  return contractIssues(DetectorMetaSchema, meta).map((i) => {
    const v = (meta as { apiVersion?: unknown } | null)?.apiVersion;
    if (i.path.length === 1 && i.path[0] === 'apiVersion' && typeof v === 'number' && v > 1) {
      return { ...i, message: `is ${v}, a newer contract than this @sandtrap/detector-api (apiVersion 1) supports; upgrade sandtrap` };
    }
    return i;
  });
}

/** Validates a detector's `meta` against {@link DetectorMetaSchema}. */
export function validateMeta(meta: unknown): ValidationResult<DetectorMeta> {
  const issues = metaIssues(meta);
  if (issues.length) return { errors: issues.map((i) => `${pointer(i.path, '')}: ${i.message}`) };
  return { value: meta as DetectorMeta, errors: [] };
}

// ——— detector options ———

/** Validates (and fills defaults into a copy of) one set of options. */
export type OptionsValidator<Options = Record<string, unknown>> = (options: unknown) => ValidationResult<Options>;

// `addUsedSchema: false`: detectors' schemas may reuse an $id, and ajv refuses two schemas with
// one id in its registry.
const optionsAjv = new Ajv2020({ strict: true, allErrors: true, verbose: true, useDefaults: true, addUsedSchema: false });
const optionsValidators = new WeakMap<object, ValidationResult<OptionsValidator<unknown>>>();

/**
 * Compiles a detector's `options` schema with ajv (draft 2020-12, strict, all errors, JSON Schema
 * `default`s applied). Errors describe the schema itself and start with `options`.
 * Results are cached per schema object.
 */
// eslint-disable-next-line @typescript-eslint/no-redundant-type-constituents -- `OptionsSchema<Options>` names the expected shape in editor hints; any value is accepted and checked at run time.
export function compileOptionsSchema<Options = Record<string, unknown>>(schema: OptionsSchema<Options> | unknown): ValidationResult<OptionsValidator<Options>> {
  if (typeName(schema) !== 'object') {
    return { errors: [`options must be a JSON Schema object (draft 2020-12) with type: 'object'; found ${found(schema)}`] };
  }
  const s = schema as Record<string, unknown>;
  const cached = optionsValidators.get(s);
  if (cached) return cached as ValidationResult<OptionsValidator<Options>>;
  const result = compileOptions<Options>(s);
  optionsValidators.set(s, result);
  return result;
}

function compileOptions<Options>(s: Record<string, unknown>): ValidationResult<OptionsValidator<Options>> {
  if (s.$schema !== undefined && s.$schema !== JSON_SCHEMA_DIALECT) {
    return { errors: [`options.$schema is ${found(s.$schema)}, but options schemas are JSON Schema draft 2020-12: remove $schema or set it to ${JSON_SCHEMA_DIALECT}`] };
  }
  if (s.type !== 'object') {
    return { errors: [`options must have type: 'object' at its root (options are named); found type: ${found(s.type)}`] };
  }
  let fn: ValidateFunction;
  try {
    fn = optionsAjv.compile(s);
  } catch (cause) {
    return { errors: [`options is not a valid JSON Schema (draft 2020-12): ${(cause as Error).message}`] };
  }
  const validator: OptionsValidator<Options> = (options) => {
    let copy: unknown;
    try {
      // ajv's useDefaults writes into the data: fill a copy, never the caller's config.
      copy = structuredClone(options ?? {});
    } catch {
      return { errors: [`options: must be JSON data; found ${found(options)}`] };
    }
    if (fn(copy)) return { value: copy as Options, errors: [] };
    return { errors: ajvIssues(fn.errors).map((i) => `${pointer(i.path, 'options')}: ${i.message}`) };
  };
  return { value: validator, errors: [] };
}

/**
 * Validates options for a detector against its `options` schema, returning a copy with the
 * schema's defaults applied. A detector without a schema takes no options: `undefined` or `{}`.
 * Errors read `options/sigma: must be <= 0.1; found 0.5`.
 */
export function validateOptions<Options = Record<string, unknown>>(
  detector: { meta?: { name?: string }; options?: OptionsSchema<Options> },
  options: unknown,
): ValidationResult<Options> {
  if (detector.options === undefined) {
    const keys = typeName(options) === 'object' ? Object.keys(options as object) : [];
    if (options === undefined || (typeName(options) === 'object' && keys.length === 0)) return { value: {} as Options, errors: [] };
    const who = detector.meta?.name ? `detector '${detector.meta.name}'` : 'this detector';
    const what = keys.length ? `${keys.map((k) => `'${k}'`).join(', ')}` : found(options);
    return { errors: [`options: ${who} takes no options (it has no options schema); found ${what}`] };
  }
  const compiled = compileOptionsSchema<Options>(detector.options);
  if (!compiled.value) return { errors: compiled.errors };
  return compiled.value(options);
}

// ——— plugin shape ———

const DETECTOR_KEYS = ['meta', 'options', 'configure', 'detect'];

/**
 * Checks that `x`, the default export of the module or package `where`, is a detector, and names
 * exactly what is wrong when it is not (`default export of ./my-detector.js has no detect()
 * function`). Validates `meta` and compiles the `options` schema.
 */
export function checkDetectorShape(x: unknown, where: string): ValidationResult<AnyDetector> {
  const at = `default export of ${where}`;
  if (x === undefined) {
    return { errors: [`${at} is missing: the module has no default export; add \`export default defineDetector({ meta, detect })\``] };
  }
  if (typeof x === 'function') {
    return { errors: [`${at} is a function, not a detector object; export the object defineDetector({ meta, detect }) returns (call a factory before exporting its result)`] };
  }
  if (typeof x !== 'object' || x === null || Array.isArray(x)) {
    return { errors: [`${at} is ${found(x)}, not a detector object { meta, detect }`] };
  }
  const d = x as Record<string, unknown>;
  if (!('meta' in d) && !('detect' in d) && typeof d.default === 'object' && d.default !== null && 'detect' in d.default) {
    return {
      errors: [
        `${at} has the detector under a second 'default' key: the package was compiled to CommonJS (exports.default); publish it as ESM ("type": "module") or use module.exports = detector`,
      ],
    };
  }
  const errors: string[] = [];
  if (d.meta === undefined) {
    errors.push(`${at} has no meta object; add meta: { name, version, apiVersion: 1, access }`);
  } else if (typeName(d.meta) !== 'object') {
    errors.push(`${at}: meta must be an object; found ${found(d.meta)}`);
  } else {
    for (const i of metaIssues(d.meta)) errors.push(`${at}: ${dotted(i.path, 'meta')} ${i.message}`);
  }
  if (d.detect === undefined) errors.push(`${at} has no detect() function`);
  else if (typeof d.detect !== 'function') errors.push(`${at}: detect must be a function; found ${found(d.detect)}`);
  if (d.configure !== undefined && typeof d.configure !== 'function') {
    errors.push(`${at}: configure must be a function when present; found ${found(d.configure)}`);
  }
  if (d.options !== undefined) for (const e of compileOptionsSchema(d.options).errors) errors.push(`${at}: ${e}`);
  for (const k of Object.keys(d)) {
    if (!DETECTOR_KEYS.includes(k)) errors.push(`${at} has unknown key '${k}'; a detector has only ${DETECTOR_KEYS.join(', ')}`);
  }
  if (errors.length) return { errors };
  return { value: d as unknown as AnyDetector, errors: [] };
}
