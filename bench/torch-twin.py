"""PyTorch twin of a sandtrap training run: a measuring stick for `npm run bench -- --only train`.

Reads one JSON job (argv[1]) written by bench/index.ts: the architecture's name, hyper-parameters
and parameter shapes (from the organism's card), the batch size and the training phases (steps,
learning rate). Builds the same network, trains it with the same optimiser (a fresh Adam per
phase, as sandtrap's trainPhase does), batch and step count on random token batches, on one
thread, and prints one JSON line with the measured throughput. Nothing in sandtrap depends on it.
"""

import json
import math
import sys
import time

import torch
import torch.nn.functional as F

torch.set_num_threads(1)
try:
    torch.set_num_interop_threads(1)
except RuntimeError:
    pass  # already set by the runtime; the intra-op count above is what matters for one core


def shapes_of(job):
    return {w["name"]: w["shape"] for w in job["weights"]}


def init_params(shapes, gen):
    # Scales do not matter for timing; shapes and names match the card's.
    ps = {}
    for name, shape in sorted(shapes.items()):
        fan_in = shape[0] if len(shape) > 1 else 1
        t = torch.randn(*shape, generator=gen) / math.sqrt(fan_in) if len(shape) > 1 else torch.zeros(*shape)
        if name.endswith(".g"):
            t = torch.ones(*shape)
        ps[name] = t.requires_grad_(True)
    return ps


def mlp_forward(p, tokens, hyper):
    x = F.embedding(tokens, p["embed.w"]).reshape(tokens.shape[0], -1)
    for i in range(1, int(hyper["layers"]) + 1):
        x = F.relu(F.linear(x, p[f"hidden{i}.w"].t(), p[f"hidden{i}.b"]))
    return F.linear(x, p["logits.w"].t(), p["logits.b"])


def transformer_forward(p, tokens, hyper):
    d = int(hyper["dModel"])
    heads = int(hyper["heads"])
    dh = d // heads
    b, seq = tokens.shape
    x = F.embedding(tokens, p["embed.w"]) + p["pos.w"]
    for i in range(int(hyper["blocks"])):
        q = f"block{i}"
        h = F.layer_norm(x, (d,), p[f"{q}.ln1.g"], p[f"{q}.ln1.b"], 1e-5)
        proj = lambda w: F.linear(h, p[f"{q}.attn.w{w}"].t(), p[f"{q}.attn.b{w}"]).reshape(b, seq, heads, dh).transpose(1, 2)
        qh, kh, vh = proj("q"), proj("k"), proj("v")
        att = torch.softmax(qh @ kh.transpose(-1, -2) / math.sqrt(dh), dim=-1)
        ctx = (att @ vh).transpose(1, 2).reshape(b, seq, d)
        x = x + F.linear(ctx, p[f"{q}.attn.wo"].t(), p[f"{q}.attn.bo"])
        h2 = F.layer_norm(x, (d,), p[f"{q}.ln2.g"], p[f"{q}.ln2.b"], 1e-5)
        u = F.relu(F.linear(h2, p[f"{q}.mlp.w1"].t(), p[f"{q}.mlp.b1"]))
        x = x + F.linear(u, p[f"{q}.mlp.w2"].t(), p[f"{q}.mlp.b2"])
    f = F.layer_norm(x, (d,), p["lnf.g"], p["lnf.b"], 1e-5).mean(dim=1)
    return F.linear(f, p["logits.w"].t(), p["logits.b"])


def blas_libraries():
    """The BLAS and LAPACK libraries this process has loaded (Linux: /proc/self/maps), so the bench
    can say which one the twin ran on: Debian's reference BLAS (libblas3) is many times slower than
    OpenBLAS, and a ratio measured against it flatters sandtrap."""
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if len(line.split()) >= 6}
    except OSError:
        return []
    return sorted(p for p in paths if any(k in p.rsplit("/", 1)[-1].lower() for k in ("blas", "lapack", "mkl", "blis")))


def main():
    job = json.loads(sys.argv[1])
    shapes = shapes_of(job)
    hyper = job["params"]
    arch = job["arch"]
    forward = {"mlp": mlp_forward, "transformer": transformer_forward}.get(arch)
    if forward is None:
        raise SystemExit(f"torch-twin: no twin for architecture {arch!r}")
    vocab = shapes["embed.w"][0]
    classes = shapes["logits.w"][1]
    seq = shapes["pos.w"][0] if arch == "transformer" else shapes["hidden1.w"][0] // shapes["embed.w"][1]
    gen = torch.Generator().manual_seed(int(job.get("seed", 1)))
    params = init_params(shapes, gen)
    n = job["batchSize"]
    total_steps = sum(ph["steps"] for ph in job["phases"])
    t0 = time.perf_counter()
    loss = None
    for ph in job["phases"]:
        opt = torch.optim.Adam(params.values(), lr=ph["lr"], eps=1e-8)
        for _ in range(ph["steps"]):
            tokens = torch.randint(0, vocab, (n, seq), generator=gen)
            labels = torch.randint(0, classes, (n,), generator=gen)
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(forward(params, tokens, hyper), labels)
            loss.backward()
            opt.step()
    final = float(loss.item()) if loss is not None else float("nan")
    seconds = time.perf_counter() - t0
    print(json.dumps({
        "examplesPerSecond": total_steps * n / seconds,
        "seconds": seconds,
        "steps": total_steps,
        "parameters": sum(t.numel() for t in params.values()),
        "finalLoss": final,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "blas": blas_libraries(),
        "dims": {"vocab": vocab, "seqLen": seq, "classes": classes},
    }))


if __name__ == "__main__":
    main()
