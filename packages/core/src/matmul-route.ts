import type * as tfc from '@tensorflow/tfjs-core';

type Tf = typeof tfc;
type KernelFunc = tfc.KernelConfig['kernelFunc'];
type TensorInfo = tfc.TensorInfo;

/** The matMul kernels sandtrap trains through: plain, and fused with bias/activation. */
const ROUTED_KERNELS = ['BatchMatMul', '_FusedMatMul'] as const;

interface Installed {
  restore: () => void;
}
let installed: Installed | undefined;

/**
 * Re-route tfjs-backend-wasm's matMul kernels so that a `transposeA`/`transposeB` flag becomes an
 * explicit Transpose kernel followed by the plain (untransposed) matMul.
 *
 * Why: tfjs-wasm 4.22 hands only untransposed 2-D products to XNNPACK's packed GEMM; with a
 * transpose flag it falls back to a strided scalar loop (measured on the 2-core development machine:
 * [256,176]ᵀ·[256,128] ran at 0.6 GFLOP/s with the flag, 2.6–2.8 GFLOP/s as an explicit transpose
 * plus a plain matMul; `npm run bench -- --only route` measures the training gain). Every backward pass of a matMul asks for a transposed product
 * (dA = dY·Bᵀ, dB = Aᵀ·dY — tfjs-core's MatMul gradient and fused matMul's customGrad both do),
 * so training spent most of its time in that loop. An explicit transpose of the smaller operand
 * costs a copy, far less than the loop it avoids.
 *
 * Batched products (leading dims > 1, e.g. attention's [B, L, dh]·[B, L, dh]ᵀ) are left alone:
 * wasm runs every batched matMul through the same loop, transposed or not ([256,8,32]·[256,8,32]ᵀ:
 * 0.43 GFLOP/s with the flag, 0.40 with an explicit transpose), so there is nothing to gain.
 *
 * It is a kernel-level re-route, not a gradient override, because fused matMul's gradient is a
 * `customGrad` closure inside tfjs-core that `tf.registerGradient` cannot reach. The results are
 * the same products summed in a different order, so they agree with the stock kernel to float32
 * rounding, not bit for bit (`matmul-route.test.ts` checks forward values and gradients).
 *
 * Only wasm: native TensorFlow (tfjs-node) and the pure-JS cpu backend are untouched.
 * Idempotent; returns a function that restores the stock kernels (used by the equivalence test).
 */
export function routeWasmTransposedMatMul(tf: Tf): () => void {
  if (installed) return installed.restore;
  const transpose = tf.getKernel('Transpose', 'wasm');
  const originals = ROUTED_KERNELS.map((name) => tf.getKernel(name, 'wasm'));
  if (!transpose || originals.some((k) => k === undefined)) {
    throw new Error(`routeWasmTransposedMatMul: the wasm backend lacks one of Transpose, ${ROUTED_KERNELS.join(', ')}; is @tensorflow/tfjs-backend-wasm loaded?`);
  }
  for (const orig of originals) {
    tf.unregisterKernel(orig.kernelName, 'wasm');
    tf.registerKernel({ ...orig, kernelFunc: explicitTransposes(orig.kernelFunc, transpose.kernelFunc, orig.kernelName === '_FusedMatMul') });
  }
  const restore = () => {
    for (const orig of originals) {
      tf.unregisterKernel(orig.kernelName, 'wasm');
      tf.registerKernel(orig);
    }
    installed = undefined;
  };
  installed = { restore };
  return restore;
}

function explicitTransposes(matMul: KernelFunc, transpose: KernelFunc, fused: boolean): KernelFunc {
  return (args) => {
    const attrs = args.attrs as { transposeA?: boolean; transposeB?: boolean } | undefined;
    const a = args.inputs['a'];
    const b = args.inputs['b'];
    if (!attrs || !a || !b || (!attrs.transposeA && !attrs.transposeB) || isBatched(a) || isBatched(b)) return matMul(args);
    const temps: TensorInfo[] = [];
    const flip = (x: TensorInfo): TensorInfo => {
      const r = x.shape.length;
      const perm = [...Array(r).keys()];
      [perm[r - 2], perm[r - 1]] = [r - 1, r - 2];
      const t = transpose({ inputs: { x }, backend: args.backend, attrs: { perm } }) as TensorInfo;
      temps.push(t);
      return t;
    };
    const plain = (a: TensorInfo, b: TensorInfo) =>
      matMul({ ...args, inputs: { ...args.inputs, a, b }, attrs: { ...args.attrs, transposeA: false, transposeB: false } }) as TensorInfo;
    const tA = attrs.transposeA === true;
    const tB = attrs.transposeB === true;
    // op(A)·op(B) = (op'(B)·op'(A))ᵀ: when the operand(s) to copy are larger than the output, copy
    // the other side and transpose the (smaller) product instead. The one-hot embedding's gradient
    // (a [B·L, V]ᵀ·[B·L, d] product) is the case that needs it. The fused kernel's bias and
    // activation apply to the product, so it never takes the swapped form.
    const size = (x: TensorInfo) => x.shape.reduce((p, q) => p * q, 1);
    const m = tA ? a.shape[a.shape.length - 1]! : a.shape[a.shape.length - 2]!;
    const n = tB ? b.shape[b.shape.length - 2]! : b.shape[b.shape.length - 1]!;
    const direct = (tA ? size(a) : 0) + (tB ? size(b) : 0);
    const swapped = (tA ? 0 : size(a)) + (tB ? 0 : size(b)) + m * n;
    try {
      if (!fused && swapped < direct) {
        const outT = plain(tB ? b : flip(b), tA ? a : flip(a));
        temps.push(outT);
        const r = outT.shape.length;
        const perm = [...Array(r).keys()];
        [perm[r - 2], perm[r - 1]] = [r - 1, r - 2];
        return transpose({ inputs: { x: outT }, backend: args.backend, attrs: { perm } });
      }
      return plain(tA ? flip(a) : a, tB ? flip(b) : b);
    } finally {
      // The transposed copies never become tensors the engine tracks: free them here, as the wasm
      // kernels free their own intermediates.
      for (const t of temps) (args.backend as tfc.KernelBackend).disposeData(t.dataId);
    }
  };
}

function isBatched(x: TensorInfo): boolean {
  let outer = 1;
  for (let i = 0; i < x.shape.length - 2; i++) outer *= x.shape[i]!;
  return outer > 1;
}
