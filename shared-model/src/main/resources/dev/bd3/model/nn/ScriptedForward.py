class ScriptedForward(Module):
  __parameters__ = []
  __buffers__ = []
  training : bool
  def forward(self: __torch__.ScriptedForward,
    tokens: Tensor,
    positions: Tensor,
    weights: List[Tensor],
    past_keys: List[Tensor],
    past_values: List[Tensor],
    mask: List[Tensor],
    heads: int) -> Tuple[Tensor, List[Tensor], List[Tensor]]:
    # Bd3Lm.forward in one call (TorchScript: the interpreter runs the operations, no JNI call
    # for each). weights: embedding, rotary inverse frequencies (hd), 1/sqrt(hd), the SUBS vector,
    # 8 per layer (norm1, qkv, out, norm2, up, up bias, down, down bias), final norm, output, bias.
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
    layers = torch.floordiv(torch.sub(torch.len(weights), 7), 8)
    for i in range(layers):
      w = torch.add(4, torch.mul(8, i))
      h = torch.layer_norm(x, [d], weights[w], None, 1.0000000000000001e-05)
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
      x = torch.add(x, torch.linear(context, weights[torch.add(w, 2)]))
      h = torch.layer_norm(x, [d], weights[torch.add(w, 3)], None, 1.0000000000000001e-05)
      h = torch.gelu(torch.linear(h, weights[torch.add(w, 4)], weights[torch.add(w, 5)]))
      x = torch.add(x, torch.linear(h, weights[torch.add(w, 6)], weights[torch.add(w, 7)]))
    h = torch.layer_norm(x, [d], weights[-3], None, 1.0000000000000001e-05)
    logits = torch.add(torch.linear(h, weights[-2], weights[-1]), weights[3])
    return (logits, new_keys, new_values)
