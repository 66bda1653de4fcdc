/**
 * Every error code sandtrap throws, in one list. The type is derived from it, and the runtime list
 * lets a test check that docs/reference/errors.md documents exactly these codes (and lets callers
 * tell a sandtrap code from a Node one such as `ENOENT`).
 *
 * Add a code here only for a class of error whose fix differs from the existing ones; document it
 * in docs/reference/errors.md in the same change (a test fails until you do).
 */
export const ERROR_CODES = [
  /** A flag, option or function argument whose value is malformed or out of range. */
  'SANDTRAP_BAD_ARGUMENT',
  /** A name (task, architecture, recipe, preset, backend, parameter, token, slot…) that is not one of the valid ones. */
  'SANDTRAP_UNKNOWN_NAME',
  /** The requested TensorFlow.js backend cannot be loaded here. */
  'SANDTRAP_BACKEND_UNAVAILABLE',
  /** An output directory that cannot be created or written. */
  'SANDTRAP_OUT_NOT_WRITABLE',
  /** A path given as an organism folder that does not exist or is not a directory. */
  'SANDTRAP_ORGANISM_NOT_FOUND',
  /** An organism folder that lacks one of card.json, truth.json, model.json, weights.bin. */
  'SANDTRAP_ORGANISM_MISSING_FILE',
  /** An organism file that cannot be read, is not JSON, or does not validate. */
  'SANDTRAP_ORGANISM_INVALID',
  /** weights.bin does not hash to the sha256 its card records. */
  'SANDTRAP_HASH_MISMATCH',
  /** `sandtrap train`: the organism's behaviour gates failed on every seed tried (exit 1). */
  'SANDTRAP_GATES_FAILED',
  /** A detector used more queries, fine-tuning steps or time than its budget allows. */
  'SANDTRAP_BUDGET_EXCEEDED',
  /** A detector called the Subject API with invalid input (wrong token shape, unknown site…): a bug in the detector. */
  'SANDTRAP_SUBJECT_MISUSE',
  /** A detector reference that resolves to no file or package. */
  'SANDTRAP_PLUGIN_NOT_FOUND',
  /** A detector module that loads but is not a valid detector object. */
  'SANDTRAP_PLUGIN_SHAPE',
  /** Detector options that do not validate against the detector's options schema. */
  'SANDTRAP_PLUGIN_OPTIONS',
  /** A config file (sandtrap.config.*) that does not load or validate. */
  'SANDTRAP_CONFIG_INVALID',
  /** A zoo spec (preset or --spec file) that cannot be read or does not validate. */
  'SANDTRAP_SPEC_INVALID',
  /** A zoo folder whose zoo.json is missing, unreadable or inconsistent with its organisms. */
  'SANDTRAP_ZOO_INVALID',
  /** A results.jsonl that cannot be read back (a corrupt line, a line of another run). */
  'SANDTRAP_RESULTS_CORRUPT',
  /** `merge` given shards of different runs, or missing / duplicated shards. */
  'SANDTRAP_MERGE_MISMATCH',
  /** A --baseline file that is not a scoreboard.json this version can compare with. */
  'SANDTRAP_BASELINE_INVALID',
  /** `testDetector` / `createDetectorTester` cases that do not validate (unknown key, wrong type, ambiguous organism). */
  'SANDTRAP_TESTER_CASES_INVALID',
  /** Worker pool: a task ran past its timeout and its worker process was killed. */
  'SANDTRAP_TIMEOUT',
  /** Worker pool: a worker ran out of memory (its heap limit) and was replaced. */
  'SANDTRAP_OUT_OF_MEMORY',
  /** Worker pool: a worker process exited without answering. */
  'SANDTRAP_WORKER_DIED',
] as const;

export type SandtrapErrorCode = (typeof ERROR_CODES)[number];

const CODES: ReadonlySet<string> = new Set(ERROR_CODES);

export function isErrorCode(x: unknown): x is SandtrapErrorCode {
  return typeof x === 'string' && CODES.has(x);
}

/**
 * The CLI's exit code for an error code when the thrower did not choose one: 1 for a check that
 * failed or work that died (DESIGN.md: "1 the check failed"), 2 for bad usage or bad input, which
 * is everything the user can fix by changing what they passed.
 */
export function exitCodeOf(code: SandtrapErrorCode): 1 | 2 {
  return code === 'SANDTRAP_GATES_FAILED' || code === 'SANDTRAP_TIMEOUT' || code === 'SANDTRAP_OUT_OF_MEMORY' || code === 'SANDTRAP_WORKER_DIED' ? 1 : 2;
}

/**
 * One error type for everything a user can get wrong. Library code throws it with a stable
 * `code`; only the CLI turns it into an exit code. docs/reference/errors.md documents each code.
 */
export class SandtrapError extends Error {
  readonly code: SandtrapErrorCode;
  /** 2 for bad usage / bad input, 1 for a check that failed; defaults to {@link exitCodeOf}(code). */
  readonly exitCode: 1 | 2;

  constructor(code: SandtrapErrorCode, message: string, options: { cause?: unknown; exitCode?: 1 | 2 } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SandtrapError';
    this.code = code;
    this.exitCode = options.exitCode ?? exitCodeOf(code);
  }
}

export function isSandtrapError(e: unknown): e is SandtrapError {
  // Checked by shape too: two copies of this package (source and dist) have two classes. The code
  // must be one of ours, so a Node error (`ENOENT`) or another library's never passes.
  return e instanceof SandtrapError || (e instanceof Error && isErrorCode((e as { code?: unknown }).code));
}

/** "unknown recipe 'x'; valid recipes: a, b, c" — the shape every unknown-name error takes. */
export function unknownName(what: string, found: string, valid: readonly string[], where = ''): SandtrapError {
  return new SandtrapError('SANDTRAP_UNKNOWN_NAME', `${where ? `${where}: ` : ''}unknown ${what} '${found}'; valid ${what}s: ${valid.join(', ')}`);
}
