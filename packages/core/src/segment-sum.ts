import type * as tfc from '@tensorflow/tfjs-core';

type Tf = typeof tfc;
type TensorInfo = tfc.TensorInfo;

/** The part of tfjs-backend-wasm's backend object this kernel uses (its own typings are not exported from the package root). */
interface WasmBackendLike {
  readSync(dataId: tfc.DataId): unknown;
  makeOutput(shape: number[], dtype: tfc.DataType, memoryOffset?: number, values?: tfc.backend_util.BackendValues): TensorInfo;
}

const KERNEL = 'UnsortedSegmentSum';

/**
 * out[s, …] = Σ x[i, …] over the rows i with segmentIds[i] = s, for x of shape [...ids.shape, ...inner]
 * and out of shape [numSegments, ...inner]. Rows whose id is outside [0, numSegments) are dropped
 * (TensorFlow's semantics). Rows are added in index order, each into a float32 accumulator, so the
 * result is a fixed function of the inputs: the same inputs give bit-identical outputs.
 */
export function segmentSumReference(
  x: ArrayLike<number>,
  ids: ArrayLike<number>,
  inner: number,
  numSegments: number,
  dtype: 'float32' | 'int32' = 'float32',
): Float32Array | Int32Array {
  const out = dtype === 'int32' ? new Int32Array(numSegments * inner) : new Float32Array(numSegments * inner);
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i]!;
    if (s < 0 || s >= numSegments) continue;
    const src = i * inner;
    const dst = s * inner;
    for (let j = 0; j < inner; j++) out[dst + j] = out[dst + j]! + x[src + j]!;
  }
  return out;
}

let installed = false;

/**
 * Register an `UnsortedSegmentSum` kernel for tfjs-backend-wasm, which ships none: without it
 * `tf.gather`'s gradient (tfjs-core's GatherV2 gradient is an unsortedSegmentSum of dy) throws on
 * wasm, which is why architectures embed by one-hot · matMul by default.
 *
 * It runs in JS on copies of the inputs (`readSync`) and writes its result as a new wasm tensor
 * (`makeOutput` with values), like the backend's own JS-side kernels. The cost is one pass over x,
 * O(B·L·d) for an embedding's gradient, against the O(B·L·V·d) of the one-hot product it replaces.
 *
 * Only wasm (tfjs-node and the cpu backend have the kernel); idempotent, and it leaves a kernel
 * that is already registered alone (a later tfjs-backend-wasm may ship its own).
 */
export function registerWasmUnsortedSegmentSum(tf: Tf): void {
  if (installed || tf.getKernel(KERNEL, 'wasm')) {
    installed = true;
    return;
  }
  tf.registerKernel({
    kernelName: KERNEL,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const x = inputs['x'];
      const segmentIds = inputs['segmentIds'];
      const numSegments = (attrs as { numSegments?: number } | undefined)?.numSegments;
      if (!x || !segmentIds || numSegments === undefined) throw new Error(`${KERNEL} (wasm): needs inputs x, segmentIds and attr numSegments`);
      if (x.dtype !== 'float32' && x.dtype !== 'int32') throw new Error(`${KERNEL} (wasm): x must be float32 or int32, got ${x.dtype}`);
      const idRank = segmentIds.shape.length;
      for (let k = 0; k < idRank; k++) {
        if (x.shape[k] !== segmentIds.shape[k])
          throw new Error(`${KERNEL} (wasm): segmentIds shape [${segmentIds.shape.join(', ')}] is not a prefix of x shape [${x.shape.join(', ')}]`);
      }
      const innerShape = x.shape.slice(idRank);
      const inner = innerShape.reduce((a, b) => a * b, 1);
      const b = backend as unknown as WasmBackendLike;
      const xs = b.readSync(x.dataId) as Float32Array | Int32Array;
      const ids = b.readSync(segmentIds.dataId) as Int32Array | Float32Array;
      const out = segmentSumReference(xs, ids, inner, numSegments, x.dtype);
      return b.makeOutput([numSegments, ...innerShape], x.dtype, undefined, out);
    },
  });
  installed = true;
}
