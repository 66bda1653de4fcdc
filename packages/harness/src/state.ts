const CLONEABLE = new Set<unknown>([
  Object.prototype,
  Array.prototype,
  ArrayBuffer.prototype,
  DataView.prototype,
  Map.prototype,
  Set.prototype,
  Date.prototype,
  RegExp.prototype,
  null,
]);

function describeValue(x: object): string {
  const proto = Object.getPrototypeOf(x) as { constructor?: { name?: string } } | null;
  return proto?.constructor?.name ?? 'object';
}

/**
 * Problems that keep `state` from crossing a process boundary intact: functions, symbols, and
 * class instances (a tf.Tensor, a Model) that `structuredClone` would throw on or silently turn
 * into plain objects without their methods. Typed arrays, Maps, Sets, Dates are fine.
 */
export function stateIssues(state: unknown, path = 'state', seen = new Set<object>(), out: string[] = []): string[] {
  if (out.length >= 10) return out;
  switch (typeof state) {
    case 'function':
      out.push(`${path} is a function; functions cannot be cloned between processes`);
      return out;
    case 'symbol':
      out.push(`${path} is a symbol; symbols cannot be cloned between processes`);
      return out;
    case 'object':
      break;
    default:
      return out;
  }
  if (state === null || seen.has(state)) return out;
  seen.add(state);
  if (ArrayBuffer.isView(state)) return out;
  const proto = Object.getPrototypeOf(state) as unknown;
  if (!CLONEABLE.has(proto)) {
    const kind = describeValue(state);
    const hint = kind === 'Tensor' || kind === 'Variable' ? ` (keep its values: Array.from(await t.data()) or t.dataSync(), and dispose the tensor)` : '';
    out.push(`${path} is a ${kind} instance, not plain data; structuredClone would drop its class${hint}`);
    return out;
  }
  if (state instanceof Map) {
    for (const [k, v] of state) {
      stateIssues(k, `${path}.keys()`, seen, out);
      stateIssues(v, `${path}.get(${JSON.stringify(k) ?? String(k)})`, seen, out);
    }
  } else if (state instanceof Set) {
    for (const v of state) stateIssues(v, `${path}.values()`, seen, out);
  } else if (Array.isArray(state)) {
    state.forEach((v, i) => stateIssues(v, `${path}[${i}]`, seen, out));
  } else {
    for (const [k, v] of Object.entries(state)) stateIssues(v, /^[A-Za-z_$][\w$]*$/.test(k) ? `${path}.${k}` : `${path}[${JSON.stringify(k)}]`, seen, out);
  }
  return out;
}
