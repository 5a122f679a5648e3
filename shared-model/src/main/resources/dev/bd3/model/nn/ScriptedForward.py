class ScriptedForward(Module):
  __parameters__ = []
  __buffers__ = []
  training : bool
  def forward(self: __torch__.ScriptedForward,
    tokens: Tensor,
    positions: Tensor,
    weights: List[Tensor],
    cond: List[Tensor],
    past_keys: List[Tensor],
    past_values: List[Tensor],
    mask: List[Tensor],
    heads: int) -> Tuple[Tensor, List[Tensor], List[Tensor]]:
    # Bd3Lm.forward in one call (TorchScript: the interpreter runs the operations, no JNI call
    # for each). weights: embedding, rotary inverse frequencies (hd), 1/sqrt(hd), the SUBS vector,
    # per layer norm1, qkv, out, norm2, up, up bias, down, down bias (and with adaLN, that is when
    # cond holds c, its modulation weight and bias), then the final norm (and its modulation),
    # output, bias.
    x = torch.embedding(weights[0], tokens)
    b = torch.size(x, 0)
    t = torch.size(x, 1)
    d = torch.size(x, 2)
    hd = torch.floordiv(d, heads)
    half = torch.floordiv(hd, 2)
    theta = torch.mul(torch.unsqueeze(positions, 1), weights[1])
    cos = torch.cos(theta)
    sin = torch.sin(theta)
    new_keys = annotate(List[Tensor], [])
    new_values = annotate(List[Tensor], [])
    ada = torch.gt(torch.len(cond), 0)
    per_layer = 8
    tail = 3
    if ada:
      per_layer = 10
      tail = 5
    layers = torch.floordiv(torch.sub(torch.len(weights), torch.add(4, tail)), per_layer)
    for i in range(layers):
      w = torch.add(4, torch.mul(per_layer, i))
      h = torch.layer_norm(x, [d], weights[w], None, 1.0000000000000001e-05)
      mods = annotate(List[Tensor], [])
      if ada:
        mods = torch.chunk(torch.unsqueeze(torch.linear(cond[0], weights[torch.add(w, 8)], weights[torch.add(w, 9)]), 1), 6, -1)
        h = torch.add(torch.add(h, torch.mul(h, mods[1])), mods[0])
      qkv = torch.linear(h, weights[torch.add(w, 1)])
      qkv = torch.permute(torch.reshape(qkv, [b, t, 3, heads, hd]), [2, 0, 3, 1, 4])
      qk = torch.slice(qkv, 0, 0, 2)
      rotated = torch.cat([torch.neg(torch.slice(qk, 4, half)), torch.slice(qk, 4, 0, half)], -1)
      qk = torch.add(torch.mul(qk, cos), torch.mul(rotated, sin))
      q = torch.mul(torch.select(qk, 0, 0), weights[2])
      k = torch.select(qk, 0, 1)
      v = torch.select(qkv, 0, 2)
      _0 = torch.append(new_keys, k)
      _1 = torch.append(new_values, v)
      if torch.gt(torch.len(past_keys), 0):
        k = torch.cat([past_keys[i], k], 2)
        v = torch.cat([past_values[i], v], 2)
      scores = torch.matmul(q, torch.transpose(k, 2, 3))
      if torch.gt(torch.len(mask), 0):
        scores = torch.add(scores, mask[0])
      context = torch.matmul(torch.softmax(scores, -1), v)
      context = torch.reshape(torch.transpose(context, 1, 2), [b, t, d])
      branch = torch.linear(context, weights[torch.add(w, 2)])
      if ada:
        branch = torch.mul(branch, mods[2])
      x = torch.add(x, branch)
      h = torch.layer_norm(x, [d], weights[torch.add(w, 3)], None, 1.0000000000000001e-05)
      if ada:
        h = torch.add(torch.add(h, torch.mul(h, mods[4])), mods[3])
      h = torch.linear(h, weights[torch.add(w, 4)], weights[torch.add(w, 5)])
      # GELU, tanh form: x sigmoid(x (k1 + k2 x^2)), k1 = 2 sqrt(2 / pi), k2 = 0.044715 k1
      h = torch.mul(h, torch.sigmoid(torch.mul(h, torch.add(torch.mul(torch.mul(h, h), 0.071354816182), 1.595769121605731))))
      branch = torch.linear(h, weights[torch.add(w, 6)], weights[torch.add(w, 7)])
      if ada:
        branch = torch.mul(branch, mods[5])
      x = torch.add(x, branch)
    h = torch.layer_norm(x, [d], weights[torch.sub(torch.len(weights), tail)], None, 1.0000000000000001e-05)
    if ada:
      final = torch.chunk(torch.unsqueeze(torch.linear(cond[0], weights[-4], weights[-3]), 1), 2, -1)
      h = torch.add(torch.add(h, torch.mul(h, final[1])), final[0])
    logits = torch.add(torch.linear(h, weights[-2], weights[-1]), weights[3])
    return (logits, new_keys, new_values)
