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
 * transpose flag it falls back to a strided scalar loop that runs 3–5× slower per FLOP (measured by
 * `bench/matmul.ts`). Every backward pass of a matMul asks for a transposed product
 * (dA = dY·Bᵀ, dB = Aᵀ·dY — tfjs-core's MatMul gradient and fused matMul's customGrad both do),
 * so training spent most of its time in that loop. An explicit transpose of the smaller operand
 * costs a copy, far less than the loop it avoids.
 *
 * Batched products (leading dims > 1, e.g. attention's [B, L, dh]·[B, L, dh]ᵀ) are left alone:
 * wasm runs every batched matMul through the same loop, transposed or not, so there is nothing to
 * gain and a copy to pay.
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
  for (const orig of originals as tfc.KernelConfig[]) {
    tf.unregisterKernel(orig.kernelName, 'wasm');
    tf.registerKernel({ ...orig, kernelFunc: explicitTransposes(orig.kernelFunc, transpose.kernelFunc) });
  }
  const restore = () => {
    for (const orig of originals as tfc.KernelConfig[]) {
      tf.unregisterKernel(orig.kernelName, 'wasm');
      tf.registerKernel(orig);
    }
    installed = undefined;
  };
  installed = { restore };
  return restore;
}

function explicitTransposes(matMul: KernelFunc, transpose: KernelFunc): KernelFunc {
  return (args) => {
    const attrs = args.attrs as { transposeA?: boolean; transposeB?: boolean } | undefined;
    const a = args.inputs['a'] as TensorInfo | undefined;
    const b = args.inputs['b'] as TensorInfo | undefined;
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
    try {
      return matMul({
        ...args,
        inputs: { ...args.inputs, a: attrs.transposeA ? flip(a) : a, b: attrs.transposeB ? flip(b) : b },
        attrs: { ...args.attrs, transposeA: false, transposeB: false },
      });
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
