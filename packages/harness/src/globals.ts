import { createRequire } from 'node:module';
import { BudgetMeter, getTf, Rng, SubjectScope } from '@sandtrap/core';

/**
 * What a cell must leave as it found it in its worker process: the built-in globals (and their
 * prototypes), `process.env`, the exports of Node's common modules (`node:os`, `node:fs`…), and
 * the prototypes of the harness's own budget meter, subject scope, RNG and TensorFlow.js engine. A detector that replaces `Math.random` to carry something into the
 * next cell, or `BudgetMeter.prototype.query` to hide its queries, changes one of these.
 *
 * The reflection used here is taken when this module loads, before any detector code runs, so a
 * detector cannot blind the check by patching `Reflect.ownKeys` or `Object.getOwnPropertyDescriptor`.
 * It sees replaced, added and removed properties; not state kept inside closures or other modules
 * (the detector's own module is imported afresh for each job: detector-process.ts).
 */
const ownKeys = Reflect.ownKeys;
const describe = Object.getOwnPropertyDescriptor;
const protoOf = Object.getPrototypeOf;
const isArray = Array.isArray;
const is = Object.is;
const str = String;
const SnapshotMap = Map;
// Unbound on purpose: called with Reflect.apply, so a later patch of Map.prototype cannot reach them.
/* eslint-disable @typescript-eslint/unbound-method */
const mapGet = Map.prototype.get;
const mapSet = Map.prototype.set;
const mapHas = Map.prototype.has;
const mapForEach = Map.prototype.forEach;
/* eslint-enable @typescript-eslint/unbound-method */
const call = <T>(f: (...a: never[]) => T, self: unknown, ...args: unknown[]): T => Reflect.apply(f as (...a: unknown[]) => T, self, args);

/** Global names watched with their prototypes (those that are constructors). */
const NAMES = [
  'Object',
  'Function',
  'Array',
  'String',
  'Number',
  'Boolean',
  'Symbol',
  'BigInt',
  'Math',
  'JSON',
  'Date',
  'RegExp',
  'Promise',
  'Reflect',
  'Proxy',
  'Map',
  'Set',
  'WeakMap',
  'WeakSet',
  'Error',
  'TypeError',
  'RangeError',
  'ArrayBuffer',
  'SharedArrayBuffer',
  'DataView',
  'Float32Array',
  'Float64Array',
  'Int32Array',
  'Uint8Array',
  'Atomics',
  'WebAssembly',
  'Intl',
  'URL',
  'TextEncoder',
  'TextDecoder',
  'performance',
  'crypto',
  'console',
] as const;

/**
 * Node's own modules a detector may import. Their exports are objects every module of the process
 * shares, so a property added to one (`os.stash = …`) would outlive the cell like a global.
 */
const BUILTINS = [
  'assert',
  'buffer',
  'child_process',
  'crypto',
  'dns',
  'events',
  'fs',
  'fs/promises',
  'http',
  'https',
  'net',
  'os',
  'path',
  'perf_hooks',
  'readline',
  'stream',
  'url',
  'util',
  'v8',
  'vm',
  'worker_threads',
  'zlib',
] as const;

type Watched = Array<[string, object]>;

function watched(): Watched {
  const out: Watched = [['globalThis', globalThis]];
  const g = globalThis as unknown as Record<string, unknown>;
  for (const name of NAMES) {
    const v = g[name];
    if ((typeof v !== 'object' && typeof v !== 'function') || v === null) continue;
    out.push([name, v]);
    const proto = (v as { prototype?: unknown }).prototype;
    if (typeof proto === 'object' && proto !== null) out.push([`${name}.prototype`, proto]);
  }
  // %TypedArray% and its prototype: Float32Array.prototype.__proto__.
  const typed = protoOf(Float32Array) as object;
  out.push(['TypedArray', typed], ['TypedArray.prototype', protoOf(Float32Array.prototype) as object]);
  out.push(['BudgetMeter.prototype', BudgetMeter.prototype], ['SubjectScope.prototype', SubjectScope.prototype], ['Rng.prototype', Rng.prototype]);
  const engine = getTf().engine();
  out.push(['tf.engine()', engine], ['tf.engine() prototype', protoOf(engine) as object]);
  const load = createRequire(import.meta.url);
  for (const name of BUILTINS) out.push([`node:${name}`, load(`node:${name}`) as object]);
  return out;
}

/** The identity of every own property of every watched object (value, getter, setter), and `process.env`. */
export type GlobalsSnapshot = Map<string, Map<PropertyKey, unknown>>;

/** The watched objects, listed once, before the first cell (so before any detector code has run). */
let WATCHED: Watched | undefined;

export function snapshotGlobals(): GlobalsSnapshot {
  const snap: GlobalsSnapshot = new SnapshotMap<string, Map<PropertyKey, unknown>>();
  const list = (WATCHED ??= watched());
  // Index loops only: array iteration goes through Array.prototype[Symbol.iterator], which a detector can replace.
  for (let w = 0; w < list.length; w++) {
    const name = list[w]![0];
    const obj = list[w]![1];
    const props = new SnapshotMap<PropertyKey, unknown>();
    // The engine instance's data changes with every op; its methods (own or patched in) must not.
    const methodsOnly = name === 'tf.engine()';
    let keys = ownKeys(obj);
    // Node defines some globals (AbortController, fetch, …) as getters that turn into plain values
    // on first use: read each once, so that first use by anyone is not taken for a change.
    if (obj === globalThis)
      for (let k = 0; k < keys.length; k++) {
        try {
          void (globalThis as Record<PropertyKey, unknown>)[keys[k]!];
        } catch {
          /* a global that throws on access is recorded as its getter */
        }
      }
    // Materialising one may add others (fetch loads undici, which adds its dispatcher symbol).
    if (obj === globalThis) keys = ownKeys(obj);
    for (let k = 0; k < keys.length; k++) {
      const key = keys[k]!;
      const d = describe(obj, key);
      if (!d) continue;
      if (methodsOnly && 'value' in d && typeof d.value !== 'function') continue;
      // Getters and setters by identity; data properties by value (objects by identity).
      // eslint-disable-next-line @typescript-eslint/unbound-method
      call(mapSet, props, key, 'value' in d ? d.value : [d.get, d.set]);
    }
    call(mapSet, snap, name, props);
  }
  const env = new SnapshotMap<PropertyKey, unknown>();
  const envKeys = ownKeys(process.env);
  for (let k = 0; k < envKeys.length; k++) call(mapSet, env, envKeys[k]!, (process.env as Record<PropertyKey, unknown>)[envKeys[k]!]);
  call(mapSet, snap, 'process.env', env);
  return snap;
}

/** What changed between two snapshots, as `Math.random replaced`, `globalThis.x added` (at most `max`). */
export function globalsChanged(before: GlobalsSnapshot, after: GlobalsSnapshot, max = 5): string[] {
  // Index writes, no Array methods: a detector may have replaced those too.
  const out: string[] = [];
  const add = (line: string) => {
    if (out.length < max) out[out.length] = line;
  };
  const same = (a: unknown, b: unknown) => {
    if (!isArray(a) || !isArray(b)) return is(a, b);
    return a.length === b.length && is(a[0], b[0]) && is(a[1], b[1]);
  };
  call(mapForEach, before, (was: Map<PropertyKey, unknown>, name: string) => {
    const props = call(mapGet, after, name) as Map<PropertyKey, unknown> | undefined;
    if (!props) return add(`${name} is gone`);
    call(mapForEach, props, (v: unknown, key: PropertyKey) => {
      if (!call(mapHas, was, key)) add(`${name}.${str(key)} added`);
      else if (!same(call(mapGet, was, key), v)) add(`${name}.${str(key)} replaced`);
    });
    call(mapForEach, was, (_v: unknown, key: PropertyKey) => {
      if (!call(mapHas, props, key)) add(`${name}.${str(key)} removed`);
    });
  });
  return out;
}
