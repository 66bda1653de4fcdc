import { appendFile, open, readFile, truncate } from 'node:fs/promises';
import { SandtrapError } from '@sandtrap/core';
import type { ValidatedVerdict } from '@sandtrap/detector-api';
import type { FailureReason } from '@sandtrap/harness';

/**
 * `results.jsonl`: one JSON line per finished cell (and per finished `configure()`), appended with
 * a single `write` each; the file is never rewritten. A run killed mid-write leaves at most one
 * partial last line, which the next run cuts off before appending; every complete line is a
 * finished cell that is not redone — except an errored one under `retryErrors`, whose new result
 * is appended as another line with the same key. Readers take the **latest** line of a key.
 */
export interface CellRecord {
  type: 'cell';
  /** Content key: detector name, version, options hash, organism id and weights hash, seed, budget. */
  key: string;
  detector: string;
  version: string;
  optionsHash: string;
  organism: string;
  status: 'ok' | 'error';
  verdict?: ValidatedVerdict;
  reason?: FailureReason;
  message?: string;
  seconds: number;
  queries: number;
  finetuneSteps: number;
}

/** A finished `configure()` of a detector (one per detector key). */
export interface ConfigureRecord {
  type: 'configure';
  /** Detector key: name, version, options hash, seed, budget, zoo spec. */
  key: string;
  detector: string;
  status: 'ok' | 'error';
  message?: string;
  seconds: number;
  /** `--holdout kind`: the misaligned kind whose dev organisms this configure() did not see. */
  holdout?: string;
  /** `--holdout kind`: hash of the serialised state (`error` when it failed): the held-out cells' keys derive from it. */
  stateHash?: string;
  /** `--holdout kind`: the state differs from the ordinary configure()'s, so its cells ran again; false = they are the ordinary cells. */
  stateChanged?: boolean;
}

export type ResultRecord = CellRecord | ConfigureRecord;

export interface ResultsFile {
  /** The latest record of each cell key (a retried cell has several lines; the last one counts). */
  cells: Map<string, CellRecord>;
  /** The latest record of each detector key. */
  configures: Map<string, ConfigureRecord>;
  /** Bytes of a partial last line that were cut off (a run killed mid-append). */
  repaired: number;
}

function isRecord(x: unknown): x is ResultRecord {
  const r = x as Partial<ResultRecord> | null;
  return typeof r === 'object' && r !== null && (r.type === 'cell' || r.type === 'configure') && typeof r.key === 'string' && (r.status === 'ok' || r.status === 'error');
}

/**
 * Reads a results.jsonl. A missing file is empty. A partial last line (no newline: the writer was
 * killed) is cut off when `repair` is set. Any other unreadable line is an error naming the line.
 * A key on several lines (a cell rerun by `--retry-errors`, a configure() rerun with it) counts
 * once, with its latest line: later lines were appended later.
 */
export async function readResults(path: string, opts: { repair?: boolean } = {}): Promise<ResultsFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { cells: new Map(), configures: new Map(), repaired: 0 };
    throw e;
  }
  let repaired = 0;
  const end = text.lastIndexOf('\n') + 1;
  if (end < text.length) {
    repaired = Buffer.byteLength(text.slice(end));
    if (opts.repair) await truncate(path, Buffer.byteLength(text.slice(0, end)));
    text = text.slice(0, end);
  }
  const cells = new Map<string, CellRecord>();
  const configures = new Map<string, ConfigureRecord>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line.trim()) continue;
    let r: unknown;
    try {
      r = JSON.parse(line);
    } catch {
      r = undefined;
    }
    if (!isRecord(r)) {
      throw new SandtrapError('SANDTRAP_RESULTS_CORRUPT', `${path}:${i + 1}: not a result record (${line.slice(0, 60)}…); remove that line or delete the file to rerun every cell`);
    }
    // Latest line wins (Map.set replaces the value of a key seen before).
    if (r.type === 'cell') cells.set(r.key, r);
    else configures.set(r.key, r);
  }
  return { cells, configures, repaired };
}

/** Appends one record as one line, with one write (O_APPEND), then flushes it to disk. */
export async function appendResult(path: string, record: ResultRecord): Promise<void> {
  const line = `${JSON.stringify(record)}\n`;
  const fh = await open(path, 'a');
  try {
    await fh.write(line);
    await fh.datasync();
  } finally {
    await fh.close();
  }
}

/** Appends several records at once (merge). */
export async function appendResults(path: string, records: readonly ResultRecord[]): Promise<void> {
  if (records.length) await appendFile(path, records.map((r) => `${JSON.stringify(r)}\n`).join(''));
}
