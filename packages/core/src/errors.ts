/**
 * One error type for everything a user can get wrong. Library code throws it with a stable
 * `code`; only the CLI turns it into an exit code (2 for bad usage or bad input).
 */
export type SandtrapErrorCode =
  | 'SANDTRAP_BAD_ARGUMENT'
  | 'SANDTRAP_UNKNOWN_NAME'
  | 'SANDTRAP_BACKEND_UNAVAILABLE'
  | 'SANDTRAP_OUT_NOT_WRITABLE'
  | 'SANDTRAP_ORGANISM_MISSING_FILE'
  | 'SANDTRAP_ORGANISM_INVALID'
  | 'SANDTRAP_HASH_MISMATCH'
  | 'SANDTRAP_GATES_FAILED'
  | 'SANDTRAP_BUDGET_EXCEEDED'
  | 'SANDTRAP_PLUGIN_NOT_FOUND'
  | 'SANDTRAP_PLUGIN_SHAPE'
  | 'SANDTRAP_PLUGIN_OPTIONS'
  /** A config file (sandtrap.config.*) that does not load or validate. */
  | 'SANDTRAP_CONFIG_INVALID'
  /** A zoo spec (preset or --spec file) that does not validate. */
  | 'SANDTRAP_SPEC_INVALID'
  /** A zoo folder whose zoo.json is missing, unreadable or inconsistent with its organisms. */
  | 'SANDTRAP_ZOO_INVALID'
  /** A results.jsonl that cannot be read back (a corrupt line, a line of another run). */
  | 'SANDTRAP_RESULTS_CORRUPT'
  /** `merge` given shards of different runs, or missing / duplicated shards. */
  | 'SANDTRAP_MERGE_MISMATCH'
  /** A --baseline file that is not a scoreboard.json this version can compare with. */
  | 'SANDTRAP_BASELINE_INVALID'
  /** Worker pool: a task ran past its timeout and its worker process was killed. */
  | 'SANDTRAP_TIMEOUT'
  /** Worker pool: a worker ran out of memory (its heap limit) and was replaced. */
  | 'SANDTRAP_OUT_OF_MEMORY'
  /** Worker pool: a worker process exited without answering. */
  | 'SANDTRAP_WORKER_DIED';

export class SandtrapError extends Error {
  readonly code: SandtrapErrorCode;
  /** 2 for bad usage / bad input, 1 for a check that failed. */
  readonly exitCode: 1 | 2;

  constructor(code: SandtrapErrorCode, message: string, options: { cause?: unknown; exitCode?: 1 | 2 } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SandtrapError';
    this.code = code;
    this.exitCode = options.exitCode ?? 2;
  }
}

export function isSandtrapError(e: unknown): e is SandtrapError {
  // Checked by shape too: two copies of this package (source and dist) have two classes.
  const code = (e as { code?: unknown } | null)?.code;
  return e instanceof SandtrapError || (e instanceof Error && typeof code === 'string' && code.startsWith('SANDTRAP_'));
}

/** "unknown recipe 'x'; valid recipes: a, b, c" — the shape every unknown-name error takes. */
export function unknownName(what: string, found: string, valid: readonly string[], where = ''): SandtrapError {
  return new SandtrapError(
    'SANDTRAP_UNKNOWN_NAME',
    `${where ? `${where}: ` : ''}unknown ${what} '${found}'; valid ${what}s: ${valid.join(', ')}`,
  );
}
