"""The attention plans of shared-model (Attention.java) ported to PyTorch, timed on a GPU.

DJL 0.36 cannot drive the GPU machine's PyTorch, so this script checks on a GPU what the Java
benchmarks measure on the CPU: one vectorised pass over [x_t ; x_0] that skips the forbidden
quarter and computes M_BD per block, against two passes (x_0, then x_t with its keys and values)
and one dense pass under the full 2L mask. Same gradients (checked in float64 on a small model),
then forward + backward of the NELBO at the paper's size (12 x 768, L = 1024).

    python3 bench/gpu/vectorised_reference.py [--small]    # ends with RESULT lines
"""
import math
import sys
import time

import torch
import torch.nn.functional as F

NEG = float("-inf")


def masks(l, lb, device):
    i = torch.arange(l, device=device) // lb
    obc = i[None, :] < i[:, None]      # M_OBC: earlier clean blocks
    bc = i[None, :] <= i[:, None]      # M_BC: clean blocks up to one's own
    bd = i[None, :] == i[:, None]      # M_BD: own block
    return obc, bc, bd


def additive(allowed, dtype):
    return torch.zeros(allowed.shape, dtype=dtype, device=allowed.device).masked_fill(~allowed, NEG)


def rotary(x, pos):
    hd = x.shape[-1]
    inv = 10000.0 ** (-2.0 * torch.arange(hd // 2, device=x.device, dtype=torch.float32) / hd)
    theta = pos.float()[:, None] * inv[None, :]
    cos = torch.cat([theta.cos(), theta.cos()], -1).to(x.dtype)
    sin = torch.cat([theta.sin(), theta.sin()], -1).to(x.dtype)
    x1, x2 = x.chunk(2, -1)
    return x * cos + torch.cat([-x2, x1], -1) * sin


class Model(torch.nn.Module):
    def __init__(self, layers, d, heads, vocab=260):
        super().__init__()
        self.h, self.hd = heads, d // heads
        self.emb = torch.nn.Embedding(vocab, d)
        self.qkv = torch.nn.ModuleList([torch.nn.Linear(d, 3 * d, bias=False) for _ in range(layers)])
        self.out = torch.nn.ModuleList([torch.nn.Linear(d, d, bias=False) for _ in range(layers)])
        self.up = torch.nn.ModuleList([torch.nn.Linear(d, 4 * d) for _ in range(layers)])
        self.down = torch.nn.ModuleList([torch.nn.Linear(4 * d, d) for _ in range(layers)])
        self.n1 = torch.nn.ModuleList([torch.nn.LayerNorm(d, bias=False) if "bias" in torch.nn.LayerNorm.__init__.__code__.co_varnames else torch.nn.LayerNorm(d) for _ in range(layers)])
        self.n2 = torch.nn.ModuleList([torch.nn.LayerNorm(d, bias=False) if "bias" in torch.nn.LayerNorm.__init__.__code__.co_varnames else torch.nn.LayerNorm(d) for _ in range(layers)])
        self.nf = torch.nn.LayerNorm(d)
        self.head = torch.nn.Linear(d, vocab)

    def layers(self):
        return len(self.qkv)

    def split(self, x, i, pos):
        b, t, _ = x.shape
        q, k, v = self.qkv[i](self.n1[i](x)).view(b, t, 3, self.h, self.hd).permute(2, 0, 3, 1, 4)
        return rotary(q, pos) / math.sqrt(self.hd), rotary(k, pos), v

    def finish(self, x, ctx, i):
        b, h, t, hd = ctx.shape
        x = x + self.out[i](ctx.transpose(1, 2).reshape(b, t, h * hd))
        return x + self.down[i](F.gelu(self.up[i](self.n2[i](x))))


def vectorised(m, xt, x0, lb):
    """Attention.vectorised: clean queries under M_BC; noisy ones over own block + earlier clean."""
    b, l = xt.shape
    x = m.emb(torch.cat([xt, x0], 1))
    pos = torch.arange(l, device=xt.device).repeat(2)
    obc, bc, _ = masks(l, lb, xt.device)
    nb = l // lb
    for i in range(m.layers()):
        q, k, v = m.split(x, i, pos)
        qn, qc = q.chunk(2, 2)
        kn, kc = k.chunk(2, 2)
        vn, vc = v.chunk(2, 2)
        clean = (qc @ kc.transpose(-1, -2) + additive(bc, q.dtype)).softmax(-1) @ vc
        diag = (qn.reshape(b, m.h, nb, lb, m.hd) @ kn.reshape(b, m.h, nb, lb, m.hd).transpose(-1, -2)).reshape(b, m.h, l, lb)
        earlier = qn @ kc.transpose(-1, -2) + additive(obc, q.dtype)
        w = torch.cat([diag, earlier], -1).softmax(-1)
        noisy = (w[..., :lb].reshape(b, m.h, nb, lb, lb) @ vn.reshape(b, m.h, nb, lb, m.hd)).reshape(b, m.h, l, m.hd) + w[..., lb:] @ vc
        x = m.finish(x, torch.cat([noisy, clean], 2), i)
    return m.head(m.nf(x[:, :l]))


def vectorised_sdpa(m, xt, x0, lb):
    """The same split with fused attention: clean queries under M_BC, noisy ones over
    [x_t ; x_0] keys under [M_BD | M_OBC]; the forbidden quarter is never computed."""
    b, l = xt.shape
    x = m.emb(torch.cat([xt, x0], 1))
    pos = torch.arange(l, device=xt.device).repeat(2)
    obc, bc, bd = masks(l, lb, xt.device)
    noisy_mask = torch.cat([bd, obc], 1)
    for i in range(m.layers()):
        q, k, v = m.split(x, i, pos)
        qn, qc = q.chunk(2, 2)
        clean = attend(qc, k[:, :, l:], v[:, :, l:], bc, True)
        noisy = attend(qn, k, v, noisy_mask, True)
        x = m.finish(x, torch.cat([noisy, clean], 2), i)
    return m.head(m.nf(x[:, :l]))


def attend(q, k, v, mask, sdpa):
    if sdpa:
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=1.0)
    return (q @ k.transpose(-1, -2) + additive(mask, q.dtype)).softmax(-1) @ v


def two_pass(m, xt, x0, lb, sdpa=False):
    b, l = xt.shape
    pos = torch.arange(l, device=xt.device)
    obc, bc, bd = masks(l, lb, xt.device)
    xc = m.emb(x0)
    kv = []
    for i in range(m.layers()):
        q, k, v = m.split(xc, i, pos)
        kv.append((k, v))
        xc = m.finish(xc, attend(q, k, v, bc, sdpa), i)
    x = m.emb(xt)
    noisy_mask = torch.cat([obc, bd], 1)
    for i in range(m.layers()):
        q, k, v = m.split(x, i, pos)
        x = m.finish(x, attend(q, torch.cat([kv[i][0], k], 2), torch.cat([kv[i][1], v], 2), noisy_mask, sdpa), i)
    return m.head(m.nf(x))


def dense(m, xt, x0, lb, sdpa=False):
    b, l = xt.shape
    x = m.emb(torch.cat([xt, x0], 1))
    pos = torch.arange(l, device=xt.device).repeat(2)
    obc, bc, bd = masks(l, lb, xt.device)
    none = torch.zeros_like(bd)
    full = torch.cat([torch.cat([bd, obc], 1), torch.cat([none, bc], 1)], 0)
    for i in range(m.layers()):
        q, k, v = m.split(x, i, pos)
        x = m.finish(x, attend(q, k, v, full, sdpa), i)
    return m.head(m.nf(x[:, :l]))


def batch(b, l, lb, device, seed=0):
    g = torch.Generator(device="cpu").manual_seed(seed)
    x0 = torch.randint(0, 256, (b, l), generator=g)
    t = torch.rand(b, l // lb, generator=g).repeat_interleave(lb, 1).clamp(min=1e-3)
    masked = torch.rand(b, l, generator=g) < t
    xt = torch.where(masked, torch.full_like(x0, 259), x0)
    w = masked.float() / t
    return xt.to(device), x0.to(device), w.to(device)


def nelbo(logits, x0, w):
    logp = logits.float().log_softmax(-1).gather(-1, x0[..., None])[..., 0]
    return -(logp * w).sum() / w.numel()


def step(m, fn, xt, x0, w, lb, **kw):
    m.zero_grad(set_to_none=True)
    loss = nelbo(fn(m, xt, x0, lb, **kw), x0, w)
    loss.backward()
    return loss


def check_gradients(device):
    torch.manual_seed(0)
    m = Model(2, 32, 2).to(device).double()
    xt, x0, w = batch(3, 16, 4, device)
    grads = {}
    plans = [("vectorised", vectorised), ("two_pass", two_pass), ("dense", dense)]
    if hasattr(F, "scaled_dot_product_attention"):
        plans.append(("vectorised_sdpa", vectorised_sdpa))
    for name, fn in plans:
        step(m, fn, xt, x0, w, 4)
        grads[name] = torch.cat([p.grad.flatten() for p in m.parameters()])
    diff = max((grads[n] - grads["vectorised"]).abs().max().item() for n in grads)
    print(f"float64 gradients, 2 x 32 model: max difference between plans {diff:.2e}")
    assert diff < 1e-10, diff
    return diff


def timed(m, fn, xt, x0, w, lb, repeats, **kw):
    for _ in range(3):
        step(m, fn, xt, x0, w, lb, **kw)
    times = []
    for _ in range(repeats):
        torch.cuda.synchronize() if xt.is_cuda else None
        s = time.perf_counter()
        step(m, fn, xt, x0, w, lb, **kw)
        torch.cuda.synchronize() if xt.is_cuda else None
        times.append(time.perf_counter() - s)
    return sorted(times)[len(times) // 2]


def main():
    small = "--small" in sys.argv or not torch.cuda.is_available()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    print(f"torch {torch.__version__} on {torch.cuda.get_device_name() if device == 'cuda' else 'cpu'}")
    diff = check_gradients(device)
    layers, d, heads, l, b, repeats = (2, 64, 2, 64, 4, 3) if small else (12, 768, 12, 1024, 8, 10)
    torch.manual_seed(0)
    m = Model(layers, d, heads).to(device)
    has_sdpa = hasattr(F, "scaled_dot_product_attention")
    results = {}
    for lb in (4, 16):
        xt, x0, w = batch(b, l, lb, device, seed=lb)
        with torch.autocast(device_type=device, dtype=torch.bfloat16, enabled=device == "cuda"):
            t = {"vectorised": timed(m, vectorised, xt, x0, w, lb, repeats),
                 "two_pass": timed(m, two_pass, xt, x0, w, lb, repeats),
                 "dense": timed(m, dense, xt, x0, w, lb, repeats)}
            if has_sdpa:
                t["vectorised_sdpa"] = timed(m, vectorised_sdpa, xt, x0, w, lb, repeats)
                t["two_pass_sdpa"] = timed(m, two_pass, xt, x0, w, lb, repeats, sdpa=True)
                t["dense_sdpa"] = timed(m, dense, xt, x0, w, lb, repeats, sdpa=True)
        tokens = b * l / t["vectorised"]
        print(f"{layers} x {d}, L = {l}, L' = {lb}, batch {b}, bf16 autocast: " + ", ".join(f"{k} {v * 1e3:.1f} ms" for k, v in t.items()))
        print(f"  vectorised: {tokens:.0f} tokens/s; speed-up over two passes {t['two_pass'] / t['vectorised']:.2f}x, over dense {t['dense'] / t['vectorised']:.2f}x")
        results[lb] = t
    for lb, t in results.items():
        print(f"RESULT gpu_vectorised_speedup_l{lb} {t['two_pass'] / t['vectorised']:.4g}")
        print(f"RESULT gpu_dense_speedup_l{lb} {t['dense'] / t['vectorised']:.4g}")
        if "two_pass_sdpa" in t:
            print(f"RESULT gpu_sdpa_vectorised_speedup_l{lb} {t['two_pass_sdpa'] / t['vectorised_sdpa']:.4g}")
            print(f"RESULT gpu_sdpa_dense_speedup_l{lb} {t['dense_sdpa'] / t['vectorised_sdpa']:.4g}")
            print(f"RESULT gpu_sdpa_tokens_per_s_l{lb} {b * l / t['vectorised_sdpa']:.4g}")
        print(f"RESULT gpu_tokens_per_s_l{lb} {b * l / t['vectorised']:.4g}")
    print(f"RESULT max_gradient_difference {diff:.3g}")


if __name__ == "__main__":
    main()
