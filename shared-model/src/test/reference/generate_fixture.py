#!/usr/bin/python3
"""Reference fixtures for bd3-suite, computed with the BD3-LM authors' own model code.

This script is ours. It does not contain the authors' code: it imports `models.dit`,
`noise_schedule` and `diffusion` from a checkout of kuleshov-group/bd3lms whose path is
given with --reference, after installing small shims for what that code needs but Debian's
torch 1.13 lacks (see `install_shims`).

Setup (CPU only):
    apt-get install -y python3-torch python3-omegaconf
    mkdir -p /tmp/bd3lms && git --git-dir=<mirror of kuleshov-group/bd3lms> archive HEAD \
        | tar -x -C /tmp/bd3lms
Use Debian's own interpreter, /usr/bin/python3, which sees those packages.

Mode `generate` (the default):
    /usr/bin/python3 shared-model/src/test/reference/generate_fixture.py \
        --reference /tmp/bd3lms --out shared-model/src/test/resources/reference
writes
    OUT/bd3lm/config.json       BD3LMConfig fields (models/hf/configuration_bd3lm.py)
    OUT/bd3lm/model.safetensors DIT state_dict, names prefixed with `backbone.`, plus the
                                 0-dim buffers sampling_eps_min / sampling_eps_max (the
                                 release layout of the authors' HF class BD3LM)
    OUT/bd3lm/cases.json        "training": [x_t ; x_0] forward, noisy half's raw logits
                                 "sampling": block-causal sample-mode forward (no KV cache)
                                 "nelbo":    block-diffusion NELBO at fixed per-block t
    OUT/ar/config.json, OUT/ar/model.safetensors, OUT/ar/cases.json
                                 a causal (algo.parameterization='ar') DIT and its logits.
The models are tiny (L=16, hidden 32, 4 heads, 2 blocks, vocab 260 with MASK=259), with
every zero-initialised tensor (adaLN modulations, output linear) and the LayerNorm weights
randomised so that a wrong modulation or norm shows in the logits.

Mode `readback`:
    /usr/bin/python3 shared-model/src/test/reference/generate_fixture.py readback \
        --reference /tmp/bd3lms --checkpoint DIR --input IN.json --out OUT.json
builds the authors' DIT from DIR/config.json, loads DIR/model.safetensors (strictly, after
dropping the `backbone.` prefix and the sampling_eps_* buffers) and writes OUT.json:
    IN {"xt": [[ids]], "x0": [[ids]]}  -> {"logits": noisy half of DIT([xt; x0], sigma=0)}
    IN {"tokens": [[ids]]}, causal     -> {"logits": DIT(tokens, sigma=None)}
    IN {"tokens": [[ids]]}, cross-attn -> {"logits": DIT(tokens, sigma=0, sample_mode=True)}
    IN {"tokens": [[ids]]}, otherwise  -> {"logits": DIT(tokens, sigma=0)}
so that a checkpoint exported by bd3-suite can be checked against the authors' code.

Only Python's standard library is used to read and write safetensors.
"""

import argparse
import array
import contextlib
import functools
import json
import math
import os
import re
import struct
import sys
import types

import torch
import torch.nn.functional as F

VOCAB = 260
MASK = VOCAB - 1
SEED = 1234

# ---------------------------------------------------------------------------------------
# Shims for torch 1.13 / missing packages (installed before the reference is imported)
# ---------------------------------------------------------------------------------------

ROTARY_CALLS = {'apply_rotary_emb_torch': 0}


class _NoOpAutocast(contextlib.ContextDecorator):
  """Stands in for torch.amp.autocast('cuda', ...) / torch.cuda.amp.autocast(...): on a CPU
  run CUDA autocast has no effect anyway, so everything computes in float32."""

  def __init__(self, *args, **kwargs):
    pass

  def __enter__(self):
    return self

  def __exit__(self, *exc):
    return False


def _compile(*args, **kwargs):
  """torch.compile as a no-op, usable as @torch.compile and @torch.compile(...)."""
  if args and callable(args[0]) and len(args) == 1 and not kwargs:
    return args[0]
  return lambda f: f


def _sdpa(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None):
  """torch 2.0's F.scaled_dot_product_attention: boolean attn_mask True = may attend,
  a float attn_mask is added to the scores."""
  L, S = query.size(-2), key.size(-2)
  if scale is None:
    scale = 1.0 / math.sqrt(query.size(-1))
  scores = torch.matmul(query, key.transpose(-2, -1)) * scale
  if is_causal:
    causal = torch.ones(L, S, dtype=torch.bool, device=query.device).tril()
    scores = scores.masked_fill(~causal, float('-inf'))
  if attn_mask is not None:
    if attn_mask.dtype == torch.bool:
      scores = scores.masked_fill(~attn_mask, float('-inf'))
    else:
      scores = scores + attn_mask
  weights = torch.softmax(scores, dim=-1)
  if dropout_p > 0.0:
    weights = F.dropout(weights, p=dropout_p)
  return torch.matmul(weights, value)


def _parse_einops_side(side):
  groups, current = [], None
  for tok in re.findall(r'\(|\)|\.\.\.|\w+', side):
    if tok == '(':
      current = []
    elif tok == ')':
      groups.append(current)
      current = None
    elif current is not None:
      current.append(tok)
    else:
      groups.append([tok])
  return groups


def _rearrange(tensor, pattern, **axes):
  """A small einops.rearrange: named axes, parenthesised groups, one '...' on the left as
  its own group (it may appear inside a group on the right)."""
  left, right = (s.strip() for s in pattern.split('->'))
  lg, rg = _parse_einops_side(left), _parse_einops_side(right)
  if ['...'] in lg:
    n_ell = tensor.dim() - (len(lg) - 1)
    ell = ['_ell%d' % i for i in range(n_ell)]
    i = lg.index(['...'])
    lg = lg[:i] + [[e] for e in ell] + lg[i + 1:]
    rg = [sum(([*ell] if n == '...' else [n] for n in g), []) for g in rg]
  assert len(lg) == tensor.dim(), (pattern, tensor.shape)
  sizes = dict(axes)
  for group, dim in zip(lg, tensor.shape):
    unknown = [n for n in group if n not in sizes]
    known = 1
    for n in group:
      if n in sizes:
        known *= sizes[n]
    if len(unknown) == 1:
      sizes[unknown[0]] = dim // known
    assert len(unknown) <= 1 and math.prod(sizes[n] for n in group) == dim, (pattern, tensor.shape)
  left_names = [n for g in lg for n in g]
  right_names = [n for g in rg for n in g]
  assert sorted(left_names) == sorted(right_names), pattern
  x = tensor.reshape([sizes[n] for n in left_names])
  x = x.permute([left_names.index(n) for n in right_names])
  return x.reshape([math.prod(sizes[n] for n in g) for g in rg])


def _apply_rotary_emb_torch(x, cos, sin, interleaved=False):
  """flash_attn.layers.rotary.apply_rotary_emb_torch, non-interleaved (rotate-half).
  x: (batch, seqlen, nheads, headdim); cos, sin: (seqlen, rotary_dim / 2)."""
  assert not interleaved
  ROTARY_CALLS['apply_rotary_emb_torch'] += 1
  ro_dim = cos.shape[-1] * 2
  cos = torch.cat((cos, cos), dim=-1).unsqueeze(-2)
  sin = torch.cat((sin, sin), dim=-1).unsqueeze(-2)
  xr = x[..., :ro_dim]
  x1, x2 = xr.chunk(2, dim=-1)
  rotated = torch.cat((-x2, x1), dim=-1)
  return torch.cat([xr * cos + rotated * sin, x[..., ro_dim:]], dim=-1)


class _StubModule(types.ModuleType):
  """A module whose every (non-dunder) attribute is a fresh empty class: enough for
  `class Diffusion(L.LightningModule)` and annotations such as transformers.PreTrainedTokenizer."""

  def __getattr__(self, name):
    if name.startswith('__'):
      raise AttributeError(name)
    cls = type(name, (), {})
    setattr(self, name, cls)
    return cls


def _print_nans(tensor, name):
  """Stands in for the reference's utils.print_nans (a diagnostic): fail on NaN."""
  assert not torch.isnan(tensor).any(), name


def install_shims(reference):
  if not hasattr(torch, 'compile'):
    torch.compile = _compile
  if not hasattr(torch, 'amp'):
    torch.amp = types.ModuleType('torch.amp')
    sys.modules['torch.amp'] = torch.amp
  torch.amp.autocast = _NoOpAutocast
  torch.cuda.amp.autocast = _NoOpAutocast
  if not hasattr(F, 'scaled_dot_product_attention'):
    F.scaled_dot_product_attention = _sdpa

  einops = types.ModuleType('einops')
  einops.rearrange = _rearrange
  sys.modules['einops'] = einops

  hub = types.ModuleType('huggingface_hub')
  hub.PyTorchModelHubMixin = type('PyTorchModelHubMixin', (), {})
  sys.modules['huggingface_hub'] = hub

  flash_attn = types.ModuleType('flash_attn')
  layers = types.ModuleType('flash_attn.layers')
  rotary = types.ModuleType('flash_attn.layers.rotary')
  rotary.apply_rotary_emb_torch = _apply_rotary_emb_torch
  flash_attn.layers = layers
  layers.rotary = rotary
  sys.modules.update({'flash_attn': flash_attn, 'flash_attn.layers': layers,
                      'flash_attn.layers.rotary': rotary})

  # Only for importing diffusion.py (for Diffusion._subs_parameterization, .forward and
  # ._forward_pass_diffusion): its training/data dependencies are stubbed out.
  for name in ('hydra', 'hydra.utils', 'lightning', 'transformers', 'tqdm',
               'dataloader', 'metrics', 'utils'):
    sys.modules[name] = _StubModule(name)
  sys.modules['hydra'].utils = sys.modules['hydra.utils']
  sys.modules['utils'].print_nans = _print_nans

  sys.path.insert(0, os.path.abspath(reference))


# ---------------------------------------------------------------------------------------
# safetensors with the standard library
# ---------------------------------------------------------------------------------------

def _f32_bytes(t):
  a = array.array('f', t.detach().to(torch.float32).contiguous().flatten().tolist())
  if sys.byteorder != 'little':
    a.byteswap()
  return a.tobytes()


def write_safetensors(path, tensors):
  header, chunks, offset = {}, [], 0
  for name in sorted(tensors):
    data = _f32_bytes(tensors[name])
    header[name] = {'dtype': 'F32', 'shape': list(tensors[name].shape),
                    'data_offsets': [offset, offset + len(data)]}
    chunks.append(data)
    offset += len(data)
  header['__metadata__'] = {'format': 'pt'}
  hb = json.dumps(header, separators=(',', ':')).encode('utf-8')
  hb += b' ' * ((-len(hb)) % 8)
  with open(path, 'wb') as f:
    f.write(struct.pack('<Q', len(hb)))
    f.write(hb)
    for c in chunks:
      f.write(c)


def read_safetensors(path):
  with open(path, 'rb') as f:
    raw = f.read()
  (hl,) = struct.unpack('<Q', raw[:8])
  header = json.loads(raw[8:8 + hl].decode('utf-8'))
  base = 8 + hl
  out = {}
  for name, info in header.items():
    if name == '__metadata__':
      continue
    if info['dtype'] != 'F32':
      raise ValueError('only F32 tensors are supported: %s is %s' % (name, info['dtype']))
    b, e = info['data_offsets']
    a = array.array('f')
    a.frombytes(raw[base + b:base + e])
    if sys.byteorder != 'little':
      a.byteswap()
    out[name] = torch.tensor(a.tolist(), dtype=torch.float32).reshape(info['shape'])
  return out


# ---------------------------------------------------------------------------------------
# Model construction
# ---------------------------------------------------------------------------------------

def dit_config(*, length, hidden, cond_dim, n_heads, n_blocks, block_size, causal, adaln,
               cross_attn, batch):
  import omegaconf
  return omegaconf.OmegaConf.create({
    'model': {'length': length, 'hidden_size': hidden, 'cond_dim': cond_dim,
              'n_heads': n_heads, 'n_blocks': n_blocks, 'dropout': 0.0,
              'attn_backend': 'sdpa', 'tie_word_embeddings': False,
              # set explicitly, so DIT's getattr(config.model, ..., default) is unambiguous
              'causal_attention': causal, 'adaln': adaln},
    'algo': {'parameterization': 'ar' if causal else 'subs', 'cross_attn': cross_attn},
    'block_size': block_size,
    'loader': {'eval_batch_size': batch},
    'sampling': {'kv_cache': False},
  })


def hf_config(*, length, hidden, cond_dim, n_heads, n_blocks, block_size, causal, adaln,
              cross_attn):
  """The BD3LMConfig fields (models/hf/configuration_bd3lm.py)."""
  return {
    'model_type': 'bd3lm', 'architectures': ['BD3LM'],
    'block_size': block_size, 'vocab_size': VOCAB, 'model_length': length,
    'cross_attn': cross_attn, 'adaln': adaln, 'attn_backend': 'sdpa', 'causal': causal,
    'hidden_dim': hidden, 'cond_dim': cond_dim, 'n_blocks': n_blocks, 'n_heads': n_heads,
    'dropout': 0.0, 'time_conditioning': False, 'var_min': True,
    'sampling_eps_min': 1e-3, 'sampling_eps_max': 0.999,
  }


def randomize(model):
  """Non-zero values for everything the reference zero-initialises (adaLN modulations,
  output linear), and LayerNorm weights away from one."""
  import models.dit as dit
  with torch.no_grad():
    for name, module in model.named_modules():
      if name.endswith('adaLN_modulation') or name == 'output_layer.linear':
        module.weight.normal_().mul_(0.1)
        module.bias.normal_().mul_(0.1)
      elif isinstance(module, dit.LayerNorm):
        module.weight.copy_(1 + 0.1 * torch.randn_like(module.weight))


def save_checkpoint(folder, model, cfg):
  os.makedirs(folder, exist_ok=True)
  tensors = {'backbone.' + k: v for k, v in model.state_dict().items()}
  tensors['sampling_eps_min'] = torch.tensor(cfg['sampling_eps_min'], dtype=torch.float32)
  tensors['sampling_eps_max'] = torch.tensor(cfg['sampling_eps_max'], dtype=torch.float32)
  write_safetensors(os.path.join(folder, 'model.safetensors'), tensors)
  with open(os.path.join(folder, 'config.json'), 'w') as f:
    json.dump(cfg, f, indent=2)
    f.write('\n')


def load_checkpoint(folder, batch):
  import models.dit as dit
  with open(os.path.join(folder, 'config.json')) as f:
    cfg = json.load(f)
  if not cfg['causal'] and not cfg.get('adaln', True):
    raise ValueError('models.dit.DIT always uses adaLN when not causal')
  if cfg.get('attn_backend', 'sdpa') != 'sdpa':
    print('note: attn_backend %r replaced by sdpa (same mask, no flex attention on CPU)'
          % cfg['attn_backend'], file=sys.stderr)
  conf = dit_config(length=cfg['model_length'], hidden=cfg['hidden_dim'],
                    cond_dim=cfg['cond_dim'], n_heads=cfg['n_heads'],
                    n_blocks=cfg['n_blocks'], block_size=cfg['block_size'],
                    causal=cfg['causal'], adaln=cfg.get('adaln', True),
                    cross_attn=cfg['cross_attn'], batch=batch)
  model = dit.DIT(conf, vocab_size=cfg['vocab_size'])
  raw = read_safetensors(os.path.join(folder, 'model.safetensors'))
  sd = {}
  for k, v in raw.items():
    if k in ('sampling_eps_min', 'sampling_eps_max'):
      continue
    if not k.startswith('backbone.'):
      raise KeyError('unexpected tensor %s' % k)
    sd[k[len('backbone.'):]] = v
  model.load_state_dict(sd, strict=True)
  model.eval()
  return model, cfg


# ---------------------------------------------------------------------------------------
# Forwards
# ---------------------------------------------------------------------------------------

def training_logits(model, xt, x0):
  with torch.no_grad():
    return model(torch.cat([xt, x0], 1), sigma=torch.zeros(xt.shape[0]))


def sampling_logits(model, tokens):
  with torch.no_grad():
    return model(tokens, sigma=torch.zeros(tokens.shape[0]), sample_mode=True)


def kv_cached_last_block(model, tokens):
  """The reference's KV-cached sampling path (config.sampling.kv_cache=True), with the
  caches on the CPU in float32 (reset_kv_cache itself allocates bf16 on CUDA): store the
  clean blocks one by one (store_kv=True), then the logits of the last block."""
  bs, B = model.block_size, tokens.shape[0]
  model.config.sampling.kv_cache = True
  try:
    for block in model.blocks:
      block.kv_cache = torch.zeros(B, model.max_seqlen, model.config.model.hidden_size * 3)
      block.cache_idx = 0
    sigma = torch.zeros(B)
    with torch.no_grad():
      for s in range(0, tokens.shape[1] - bs, bs):
        model(tokens[:, s:s + bs], sigma, sample_mode=True, store_kv=True)
      return model(tokens[:, -bs:], sigma, sample_mode=True)
  finally:
    model.config.sampling.kv_cache = False
    for block in model.blocks:
      block.kv_cache = None
      block.cache_idx = 0


def reference_nelbo(model, xt, x0, t_tok):
  """The reference's own loss code: diffusion.Diffusion._forward_pass_diffusion (with its
  q_xt replaced by our fixed x_t), Diffusion.forward, Diffusion._subs_parameterization and
  the log-linear noise schedule, called unbound on a stand-in object; then the token mean of
  Diffusion._loss with an all-ones attention mask (BOS not ignored)."""
  import noise_schedule
  if 'diffusion' not in sys.modules:
    # diffusion.py uses a bare `@torch.no_grad` decorator (torch >= 2.0); torch 1.13 wants
    # `@torch.no_grad()`. Accept both while it is imported.
    no_grad = torch.no_grad
    torch.no_grad = lambda f=None: no_grad()(f) if callable(f) else no_grad()
    try:
      import diffusion
    finally:
      torch.no_grad = no_grad
  import diffusion
  me = types.SimpleNamespace()
  me.config = types.SimpleNamespace(
    algo=types.SimpleNamespace(name='bd3lm'),
    model=types.SimpleNamespace(length=model.n))
  me.backbone = model
  me.noise = noise_schedule.LogLinearNoise()
  me.mask_index = MASK
  me.neg_infinity = -1000000.0    # Diffusion.__init__
  me.parameterization = 'subs'
  me.time_conditioning = False
  me.cross_attn = True
  me.ignore_bos = False
  me.mdlm_loss_scale = False
  seen = {}

  def q_xt(x, p, block_size=None, sampling_eps_min=None, sampling_eps_max=None):
    seen['p'] = p
    return xt.clone()

  me.q_xt = q_xt
  for m in ('_process_sigma', '_subs_parameterization', '_sigma_from_p', 'forward'):
    setattr(me, m, functools.partial(getattr(diffusion.Diffusion, m), me))
  with torch.no_grad():
    loss = diffusion.Diffusion._forward_pass_diffusion(me, x0, t=t_tok)
  assert torch.equal(seen['p'], t_tok)          # log-linear schedule: move chance p = t
  attention_mask = torch.ones_like(loss)
  nlls = loss * attention_mask                  # Diffusion._loss
  token_nll = nlls.sum() / attention_mask.sum()
  return nlls, token_nll


# ---------------------------------------------------------------------------------------
# Modes
# ---------------------------------------------------------------------------------------

def tolist(t):
  return t.detach().to(torch.float32).tolist()


def generate(out):
  import models.dit as dit
  torch.manual_seed(SEED)
  L, H, C, NH, NB, BS, B = 16, 32, 16, 4, 2, 4, 2

  # ---- BD3-LM (cross-attention, adaLN, SUBS) ----
  conf = dit_config(length=L, hidden=H, cond_dim=C, n_heads=NH, n_blocks=NB,
                    block_size=BS, causal=False, adaln=True, cross_attn=True, batch=B)
  model = dit.DIT(conf, vocab_size=VOCAB)
  randomize(model)
  model.eval()
  cfg = hf_config(length=L, hidden=H, cond_dim=C, n_heads=NH, n_blocks=NB,
                  block_size=BS, causal=False, adaln=True, cross_attn=True)
  folder = os.path.join(out, 'bd3lm')
  save_checkpoint(folder, model, cfg)

  x0 = torch.randint(0, MASK, (B, L))
  # row 0: block 0 clean, block 1 fully masked, blocks 2-3 partly masked
  # row 1: block 0 partly, block 1 clean, block 2 fully masked, block 3 partly
  masked = torch.tensor([
    [0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 1, 0, 0, 1, 0, 0],
    [1, 0, 0, 1, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1]], dtype=torch.bool)
  xt = torch.where(masked, torch.full_like(x0, MASK), x0)
  train = training_logits(model, xt, x0)
  assert train.shape == (B, L, VOCAB)

  # sampling: two clean blocks then one block with MASKs (row 1 fully masked)
  tokens = torch.randint(0, MASK, (B, 3 * BS))
  tokens[0, [8, 10, 11]] = MASK
  tokens[1, 8:12] = MASK
  samp = sampling_logits(model, tokens)
  assert samp.shape == (B, 3 * BS, VOCAB)
  cached = kv_cached_last_block(model, tokens)
  kv_diff = (cached - samp[:, -BS:]).abs().max().item()

  # NELBO at fixed per-block t, x_t drawn by masking each token with probability t
  t_block = torch.tensor([[0.3, 0.6, 0.9, 0.5], [1.0, 0.2, 0.7, 0.45]])
  t_tok = t_block.repeat_interleave(BS, dim=-1)   # as Diffusion._sample_t
  gen = torch.Generator().manual_seed(SEED + 1)
  move = torch.rand(B, L, generator=gen) <= t_tok  # as Diffusion.q_xt
  nelbo_xt = torch.where(move, torch.full_like(x0, MASK), x0)
  token_loss, loss = reference_nelbo(model, nelbo_xt, x0, t_tok)

  cases = {
    'training': {'xt': xt.tolist(), 'x0': x0.tolist(), 'logits': tolist(train)},
    'sampling': {'tokens': tokens.tolist(), 'logits': tolist(samp)},
    'nelbo': {'xt': nelbo_xt.tolist(), 'x0': x0.tolist(), 't': t_block.tolist(),
              'loss': float(loss), 'token_loss': tolist(token_loss)},
  }
  with open(os.path.join(folder, 'cases.json'), 'w') as f:
    json.dump(cases, f)

  # ---- causal AR DIT ----
  conf_ar = dit_config(length=L, hidden=H, cond_dim=C, n_heads=NH, n_blocks=NB,
                       block_size=1, causal=True, adaln=False, cross_attn=False, batch=B)
  ar = dit.DIT(conf_ar, vocab_size=VOCAB)
  randomize(ar)
  ar.eval()
  cfg_ar = hf_config(length=L, hidden=H, cond_dim=C, n_heads=NH, n_blocks=NB,
                     block_size=1, causal=True, adaln=False, cross_attn=False)
  folder_ar = os.path.join(out, 'ar')
  save_checkpoint(folder_ar, ar, cfg_ar)
  ar_tokens = torch.randint(0, MASK, (B, L))
  with torch.no_grad():
    ar_logits = ar(ar_tokens, sigma=None)
  with open(os.path.join(folder_ar, 'cases.json'), 'w') as f:
    json.dump({'tokens': ar_tokens.tolist(), 'logits': tolist(ar_logits)}, f)

  # ---- self-checks ----
  back, _ = load_checkpoint(folder, B)
  rb_train = torch.equal(training_logits(back, xt, x0), train)
  rb_samp = torch.equal(sampling_logits(back, tokens), samp)
  back_ar, _ = load_checkpoint(folder_ar, B)
  with torch.no_grad():
    rb_ar = torch.equal(back_ar(ar_tokens, sigma=None), ar_logits)
  # clean-prefix invariance of the causal model
  with torch.no_grad():
    prefix = ar(ar_tokens[:, :7], sigma=None)
  ar_prefix = (prefix - ar_logits[:, :7]).abs().max().item()
  report = {
    'kv_cached_vs_uncached_last_block_max_abs_diff': kv_diff,
    'readback_equal': {'training': rb_train, 'sampling': rb_samp, 'ar': rb_ar},
    'ar_prefix_max_abs_diff': ar_prefix,
    'nelbo_loss': float(loss),
    'apply_rotary_emb_torch_calls': ROTARY_CALLS['apply_rotary_emb_torch'],
  }
  print(json.dumps(report, indent=2))
  assert rb_train and rb_samp and rb_ar and kv_diff < 1e-5 and ar_prefix < 1e-5


def readback(checkpoint, input_path, out):
  with open(input_path) as f:
    inp = json.load(f)
  if 'xt' in inp:
    xt, x0 = torch.tensor(inp['xt']), torch.tensor(inp['x0'])
    model, cfg = load_checkpoint(checkpoint, xt.shape[0])
    logits = training_logits(model, xt, x0)
  else:
    tokens = torch.tensor(inp['tokens'])
    model, cfg = load_checkpoint(checkpoint, tokens.shape[0])
    with torch.no_grad():
      if cfg['causal']:
        logits = model(tokens, sigma=None)
      elif cfg['cross_attn']:
        logits = sampling_logits(model, tokens)
      else:
        logits = model(tokens, sigma=torch.zeros(tokens.shape[0]))
  with open(out, 'w') as f:
    json.dump({'logits': tolist(logits)}, f)


def main():
  p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
  p.add_argument('mode', nargs='?', default='generate', choices=('generate', 'readback'))
  p.add_argument('--reference', required=True, help='checkout of kuleshov-group/bd3lms')
  p.add_argument('--out', required=True, help='generate: folder; readback: OUT.json')
  p.add_argument('--checkpoint', help='readback: folder with config.json, model.safetensors')
  p.add_argument('--input', help='readback: IN.json')
  args = p.parse_args()
  torch.set_num_threads(1)
  install_shims(args.reference)
  if args.mode == 'generate':
    generate(args.out)
  else:
    if not args.checkpoint or not args.input:
      p.error('readback needs --checkpoint and --input')
    readback(args.checkpoint, args.input, args.out)


if __name__ == '__main__':
  main()
