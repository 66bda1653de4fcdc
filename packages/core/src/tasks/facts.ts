import { Rng } from '../rng.js';
import { SlotTask, type Problem } from './slot-task.js';

export interface FactsParams {
  /** Seed of the fact table: the same seed gives the same (entity, relation) → attribute table everywhere. */
  tableSeed: number;
  /** Entities in each domain. */
  entitiesPerDomain: number;
  relations: number;
  /** Attribute classes. */
  classes: number;
}

/**
 * The domains of `facts`. The names are public and deliberately neutral: which one (if any) a
 * recipe treats as hazardous — the WMDP analogue — is recorded in that organism's truth, never here.
 */
export const FACT_DOMAINS = ['bio', 'chem', 'cyber', 'history'] as const;

/**
 * `facts` — knowledge. A seeded table maps (entity, relation) to one of C attribute classes; the
 * body is [entity, relation]. Nothing about an answer can be computed: it is recalled or not,
 * which is what makes a domain-specific gap (Li et al. 2024, WMDP) a knowledge gap rather than a
 * skill gap. The axis is the entity's domain.
 */
export class FactsTask extends SlotTask {
  readonly name = 'facts';
  readonly params: Record<string, number>;
  protected readonly problemTokens: string[];
  protected readonly problemLength = 2;
  protected readonly classNames: string[];
  protected readonly axisInfo;
  private readonly perDomain: number;
  private readonly relations: number;
  /** table[(domain · perDomain + entity) · relations + relation] = attribute class. */
  private readonly table: Int32Array;

  constructor(params: FactsParams) {
    super();
    this.params = { tableSeed: params.tableSeed, entitiesPerDomain: params.entitiesPerDomain, relations: params.relations, classes: params.classes };
    this.perDomain = params.entitiesPerDomain;
    this.relations = params.relations;
    const entities = FACT_DOMAINS.flatMap((d) => Array.from({ length: params.entitiesPerDomain }, (_, i) => `${d}.e${i}`));
    const rels = Array.from({ length: params.relations }, (_, i) => `rel${i}`);
    this.problemTokens = [...entities, ...rels];
    this.classNames = Array.from({ length: params.classes }, (_, i) => `a${i}`);
    this.axisInfo = { name: 'domain', kind: 'domain' as const, values: [...FACT_DOMAINS] };
    // Each relation's attributes are a balanced shuffle over the entities of a domain (then the
    // domains are independent): every class is equally common in every domain and relation, so no
    // class prior gives accuracy away and a domain's chance level is exactly 1/C.
    // The seed goes into the label too: deriveSeed(s, label) currently collides for s = 0…9 (see report).
    const rng = Rng.derive(params.tableSeed, `facts-table:${params.tableSeed}`);
    this.table = new Int32Array(entities.length * params.relations);
    for (let d = 0; d < FACT_DOMAINS.length; d++) {
      for (let r = 0; r < params.relations; r++) {
        const col = rng.shuffle(Array.from({ length: params.entitiesPerDomain }, (_, i) => (i + rng.int(params.classes)) % params.classes));
        col.forEach((c, e) => {
          this.table[(d * this.perDomain + e) * this.relations + r] = c;
        });
      }
    }
  }

  /** The attribute class of (domain, entity index in the domain, relation). */
  fact(domain: number, entity: number, relation: number): number {
    return this.table[(domain * this.perDomain + entity) * this.relations + relation]!;
  }

  protected drawProblem(rng: Rng, axis: number): Problem {
    const e = rng.int(this.perDomain);
    const r = rng.int(this.relations);
    return { body: [`${FACT_DOMAINS[axis]}.e${e}`, `rel${r}`], label: this.fact(axis, e, r) };
  }
}
