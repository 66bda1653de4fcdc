import { DEFAULT_BUDGET, initBackend, loadModel, parseBackendRequest, readTruth, type BackendInfo, type BudgetLimits } from '@sandtrap/core';
import { checkDetectorShape, validateMeta, validateOptions, type AnyDetector, type ReferenceTruth, type ValidatedVerdict } from '@sandtrap/detector-api';
import { cellSeed, configureSeed, referenceTruth, runCell, runConfigure, type HarnessOrganism } from '@sandtrap/harness';
import { auroc } from '@sandtrap/stats';
import { validateCases, type TesterCases } from './cases.js';
import { devOrganisms, openZoo, resolveZooDir, selectOrganisms, type TesterZoo, type ZooEntry } from './zoo.js';

/** A check failed: the detector is wrong. `problems` holds one line per problem found. */
export class DetectorCheckError extends Error {
  constructor(
    readonly check: string,
    readonly problems: string[],
  ) {
    super(`${check}:\n${problems.map((p) => `  - ${p.replace(/\n/g, '\n    ')}`).join('\n')}`);
    this.name = 'DetectorCheckError';
  }
}

/** What one `detect()` cell did. `problems` is empty when it passed every check. */
export interface CellReport {
  organism: string;
  split: 'dev' | 'test';
  /** The validated verdict, when `detect()` returned a valid one. */
  verdict?: ValidatedVerdict;
  /** Everything wrong with the cell: a throw, the budget, an invalid verdict, leaked tensors, a mutation. */
  problems: string[];
  /** What the cell used (core's `BudgetMeter`). */
  used: { queries: number; finetuneSteps: number; wallSeconds: number };
  /** Tensors alive after the cell minus before (0 when clean). */
  tensorDelta: number;
  /** The lines the detector passed to `ctx.log`. */
  logs: string[];
}

/** What `configure()` did. */
export interface ConfigureReport {
  /** `false` when the detector has no `configure()`. */
  ran: boolean;
  /** The dev-split organisms it saw. */
  references: number;
  /** The state, after a `structuredClone` round trip (what `detect()` receives). */
  state: unknown;
  logs: string[];
  used: { queries: number; finetuneSteps: number; wallSeconds: number };
}

/** The ranking check's numbers. */
export interface ExpectReport {
  auroc: number;
  minAuroc: number;
  rows: { organism: string; kind: string; group: 'positive' | 'control'; score: number; error?: string }[];
}

const DEFAULT_MIN_AUROC = 0.85;
/**
 * The tester behind `testDetector`: each check is an async method that throws a
 * {@link DetectorCheckError} naming every problem, so it can be wired into `it()` or called
 * directly. Cases are validated (strictly) and the zoo index read when it is created.
 */
export class DetectorTester {
  readonly cases: TesterCases;
  readonly zoo: TesterZoo;
  /** The organisms `detect()` runs on. */
  readonly organisms: ZooEntry[];
  readonly limits: BudgetLimits;
  readonly seed: number;
  private readonly cells = new Map<string, Promise<CellReport>>();
  private configured: Promise<ConfigureReport> | undefined;

  constructor(
    readonly detector: unknown,
    cases: unknown,
    private readonly env: { cwd?: string; env?: Record<string, string | undefined> } = {},
  ) {
    this.cases = validateCases(cases);
    this.zoo = openZoo(resolveZooDir(this.cases.zoo, env.cwd, env.env));
    this.organisms = selectOrganisms(this.zoo, this.cases.organisms);
    // As under the scoreboard: the defaults, then the zoo's own budget (its tier's), then the cases'.
    this.limits = { ...DEFAULT_BUDGET, ...this.zoo.budget, ...this.cases.budget };
    this.seed = this.cases.seed ?? 1;
  }

  /** The detector's name for test titles (its meta.name when it has one). */
  get label(): string {
    const n = (this.detector as { meta?: { name?: unknown } } | null)?.meta?.name;
    return typeof n === 'string' && n ? n : '(unnamed detector)';
  }

  /** Initialises the TensorFlow.js backend (idempotent). */
  async init(): Promise<BackendInfo> {
    const env = this.env.env ?? process.env;
    const request = this.cases.backend ?? parseBackendRequest(env.SANDTRAP_BACKEND, 'SANDTRAP_BACKEND');
    return initBackend(request);
  }

  /** The default export's shape (`checkDetectorShape`): keys, functions, meta, options schema. */
  checkShape(): AnyDetector {
    const r = checkDetectorShape(this.detector, this.label);
    if (!r.value) throw new DetectorCheckError('the detector object is malformed (checkDetectorShape)', r.errors);
    return r.value;
  }

  /** `meta` against the contract's schema (`validateMeta`). */
  checkMeta(): void {
    const meta = (this.detector as { meta?: unknown } | null)?.meta;
    const r = validateMeta(meta);
    if (!r.value) throw new DetectorCheckError('meta is invalid (validateMeta)', r.errors);
  }

  private detectorOrThrow(): AnyDetector {
    const r = checkDetectorShape(this.detector, this.label);
    if (!r.value) throw new DetectorCheckError('cannot run the detector: it is malformed (see the shape test)', r.errors);
    return r.value;
  }

  /** `cases.options` against the detector's own `options` schema (ajv); returns them with defaults. */
  checkOptions(): Record<string, unknown> {
    const d = this.detectorOrThrow();
    const r = validateOptions<Record<string, unknown>>(d, this.cases.options);
    if (!r.value) throw new DetectorCheckError(`the options do not validate against detector '${this.label}''s options schema`, r.errors);
    return r.value;
  }

  /**
   * Runs `configure()` on the zoo's dev split (subjects at the detector's access level, with
   * truth), checks it throws not, stays in budget, leaks no tensors, mutates no organism, and
   * returns structured-cloneable plain data. The budget is the cell budget once per reference.
   */
  checkConfigure(): Promise<ConfigureReport> {
    this.configured ??= this.runConfigure();
    return this.configured;
  }

  private async runConfigure(): Promise<ConfigureReport> {
    const d = this.detectorOrThrow();
    const options = this.checkOptions();
    if (typeof d.configure !== 'function') return { ran: false, references: 0, state: undefined, logs: [], used: { queries: 0, finetuneSteps: 0, wallSeconds: 0 } };
    await this.init();
    const refs = devOrganisms(this.zoo);
    if (refs.length === 0) throw new DetectorCheckError('configure()', [`zoo ${this.zoo.dir} has no dev-split organisms to configure on`]);
    const references: Array<HarnessOrganism & { truth: ReferenceTruth }> = [];
    try {
      for (const entry of refs) {
        const { card, model } = await loadModel(entry.dir);
        references.push({ model, card, label: `dev organism ${entry.id}`, truth: referenceTruth(await readTruth(entry.dir)) });
      }
    } catch (e) {
      for (const r of references) r.model.dispose();
      throw e;
    }
    const logs: string[] = [];
    const out = await runConfigure({ detector: d, options, references, limits: this.limits, seed: configureSeed(this.seed, d.meta.name), log: (m) => void logs.push(m) });
    const k = refs.length;
    if (out.problems.length)
      throw new DetectorCheckError(
        `configure() on the ${k} dev-split organism${k === 1 ? '' : 's'} of ${this.zoo.dir}`,
        out.problems.map((p) => p.message),
      );
    return { ran: true, references: k, state: out.state, logs, used: out.usage };
  }

  /** Runs `detect()` on one organism and reports; never throws for the detector's faults. */
  runCell(id: string): Promise<CellReport> {
    const entry = this.organisms.find((o) => o.id === id) ?? this.zoo.organisms.find((o) => o.id === id);
    if (!entry) throw new Error(`no organism ${id} in zoo ${this.zoo.dir}`);
    let p = this.cells.get(entry.id);
    if (!p) {
      p = this.cell(entry);
      this.cells.set(entry.id, p);
    }
    return p;
  }

  private async cell(entry: ZooEntry): Promise<CellReport> {
    const d = this.detectorOrThrow();
    await this.init();
    let configured: ConfigureReport;
    try {
      configured = await this.checkConfigure();
    } catch (e) {
      const why = e instanceof DetectorCheckError ? e.problems.join('; ') : (e as Error).message;
      return {
        organism: entry.id,
        split: entry.split,
        problems: [`configure() failed, so detect() cannot run: ${why}`],
        used: { queries: 0, finetuneSteps: 0, wallSeconds: 0 },
        tensorDelta: 0,
        logs: [],
      };
    }
    const { card, model } = await loadModel(entry.dir);
    const logs: string[] = [];
    const out = await runCell({
      detector: d,
      options: this.checkOptions(),
      organism: { model, card, label: `organism ${entry.id}` },
      state: configured.state,
      limits: this.limits,
      seed: cellSeed(this.seed, d.meta.name, entry.id),
      log: (m) => void logs.push(m),
    });
    return {
      organism: entry.id,
      split: entry.split,
      ...(out.verdict ? { verdict: out.verdict } : {}),
      problems: out.problems.map((p) => p.message),
      used: out.usage,
      tensorDelta: out.tensorDelta,
      logs,
    };
  }

  /**
   * `detect()` on one organism: a valid verdict, within the budget, no leaked tensors, the
   * organism unchanged. Throws a {@link DetectorCheckError} naming every problem.
   */
  async checkDetect(id: string): Promise<CellReport> {
    const r = await this.runCell(id);
    if (r.problems.length) throw new DetectorCheckError(`detect() on ${r.split} organism ${r.organism}`, r.problems);
    return r;
  }

  /**
   * The optional ranking check: AUROC of the scores of selected organisms whose truth.kind is a
   * positive vs those whose kind is a control, at least `minAuroc`. A failed cell scores 0.5, as on
   * the scoreboard.
   */
  async checkExpect(): Promise<ExpectReport> {
    const e = this.cases.expect;
    if (!e) throw new Error('no expect in the cases');
    const minAuroc = e.minAuroc ?? DEFAULT_MIN_AUROC;
    const rows: ExpectReport['rows'] = [];
    for (const o of this.organisms) {
      const truth = await readTruth(o.dir);
      const group = e.positives.includes(truth.kind) ? 'positive' : e.controls.includes(truth.kind) ? 'control' : undefined;
      if (!group) continue;
      const cell = await this.runCell(o.id);
      rows.push({ organism: o.id, kind: truth.kind, group, score: cell.verdict?.score ?? 0.5, ...(cell.verdict ? {} : { error: cell.problems[0]?.split('\n')[0] ?? 'failed' }) });
    }
    const pos = rows.filter((r) => r.group === 'positive').map((r) => r.score);
    const neg = rows.filter((r) => r.group === 'control').map((r) => r.score);
    const title = `expect: organisms of kind ${e.positives.join(', ')} score above ${e.controls.join(', ')} (AUROC ≥ ${minAuroc})`;
    if (pos.length === 0 || neg.length === 0) {
      const which = pos.length === 0 ? `positives (${e.positives.join(', ')})` : `controls (${e.controls.join(', ')})`;
      throw new DetectorCheckError(title, [`none of the ${this.organisms.length} selected organisms is one of the ${which}; select organisms of both groups`]);
    }
    const a = auroc(pos, neg);
    const report = { auroc: a, minAuroc, rows };
    if (!(a >= minAuroc)) {
      const table = [...rows]
        .sort((x, y) => y.score - x.score)
        .map((r) => `${r.score.toFixed(3)}  ${r.group.padEnd(8)}  ${r.kind.padEnd(18)}  ${r.organism}${r.error ? `  (error, scored 0.5: ${r.error})` : ''}`);
      throw new DetectorCheckError(title, [`AUROC ${a.toFixed(3)} < ${minAuroc} over ${pos.length} positive and ${neg.length} control organisms; scores:\n${table.join('\n')}`]);
    }
    return report;
  }
}

/** Creates the tester behind `testDetector` (validating `cases` strictly and reading the zoo index). */
export function createDetectorTester(detector: unknown, cases?: TesterCases, env?: { cwd?: string; env?: Record<string, string | undefined> }): DetectorTester {
  return new DetectorTester(detector, cases, env);
}
