"""The networks: analysis g_a, synthesis g_s (DCT-initialised), caption encoder, the generator's prior mean and
its rectified flow."""
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

BLOCK = 16


def dct_order(n_keep):
    """(u, v) frequency pairs of a 16x16 DCT, lowest first: by u+v, then u (so indices mean frequency)."""
    pairs = [(u, v) for u in range(BLOCK) for v in range(BLOCK)]
    pairs.sort(key=lambda p: (p[0] + p[1], p[0]))
    return pairs[:n_keep]


def dct_basis(u, v):
    """Orthonormal 2D DCT-II basis image for vertical frequency u, horizontal frequency v."""
    m = np.arange(BLOCK)
    au = math.sqrt((1 if u == 0 else 2) / BLOCK)
    av = math.sqrt((1 if v == 0 else 2) / BLOCK)
    cu = au * np.cos((2 * m + 1) * u * math.pi / (2 * BLOCK))
    cv = av * np.cos((2 * m + 1) * v * math.pi / (2 * BLOCK))
    return np.outer(cu, cv)


def channel_layout(cfg):
    """List of (colour plane 0=Y 1=Cb 2=Cr, u, v) for each of the latent channels, in channel order."""
    lay = [(0, u, v) for (u, v) in dct_order(cfg['luma_channels'])]
    lay += [(1, u, v) for (u, v) in dct_order(cfg['chroma_channels'])]
    lay += [(2, u, v) for (u, v) in dct_order(cfg['chroma_channels'])]
    assert len(lay) == cfg['latent_channels']
    return lay


def dct_weight(cfg):
    lay = channel_layout(cfg)
    w = np.zeros((len(lay), 3, BLOCK, BLOCK), dtype=np.float32)
    for k, (c, u, v) in enumerate(lay):
        w[k, c] = dct_basis(u, v)
    return torch.from_numpy(w)


@torch.no_grad()
def sample_latent(gen, centre, caption, y_sel, mask, noise, steps):
    """Euler integration of the residual flow from t = 1 (r = noise) to t = 0; returns centre + r (normalised).
    Transmitted channels follow their straight path r = t * noise, so they end exactly on the centre (the prior's
    in-bin estimate)."""
    m = mask.view(mask.shape[0], -1, 1, 1)
    r = noise.clone()
    for i in range(steps, 0, -1):
        ti, tn = i / steps, (i - 1) / steps
        r = r + (tn - ti) * gen(r, torch.full((r.shape[0],), ti), caption, y_sel, mask, centre)
        r = r * (1 - m) + tn * noise * m
    return centre + r * (1 - m)


# Full-range BT.601 (JPEG) colour transform; luma centred on 0.
RGB2YCC = torch.tensor([[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5], [0.5, -0.418688, -0.081312]])
YCC2RGB = torch.tensor([[1.0, 0.0, 1.402], [1.0, -0.344136, -0.714136], [1.0, 1.772, 0.0]])


class Analysis(nn.Module):
    """g_a: RGB [B,3,H,W] in [0,1], H and W multiples of 16 -> y [B,320,H/16,W/16].
    A learned 16x16 stride-16 transform initialised as a scaled orthonormal DCT (scale = 16, so
    quantisation step 1 is the 'all channels' operating point) plus a learned 1x1 residual refinement."""

    def __init__(self, cfg):
        super().__init__()
        self.scale = float(cfg['latent_scale'])
        self.register_buffer('rgb2ycc', RGB2YCC.clone().view(3, 3, 1, 1))
        self.register_buffer('ycc_offset', torch.tensor([-0.5, 0.0, 0.0]).view(1, 3, 1, 1))
        self.transform = nn.Conv2d(3, cfg['latent_channels'], BLOCK, stride=BLOCK, bias=False)
        with torch.no_grad():
            self.transform.weight.copy_(dct_weight(cfg) * self.scale)
        self.refine = nn.Conv2d(cfg['latent_channels'], cfg['latent_channels'], 1)
        nn.init.zeros_(self.refine.weight)
        nn.init.zeros_(self.refine.bias)

    # PyTorch's CPU convolution is slow for 16x16 stride-16 kernels; training uses the identical
    # block-matmul form, the ONNX export the plain convolution (export_onnx.py clears this flag).
    matmul_path = True

    def forward(self, x):
        ycc = F.conv2d(x, self.rgb2ycc) + self.ycc_offset
        if self.matmul_path:
            b, c, H, W = ycc.shape
            h, w = H // BLOCK, W // BLOCK
            blocks = ycc.reshape(b, c, h, BLOCK, w, BLOCK).permute(0, 2, 4, 1, 3, 5).reshape(b * h * w, c * BLOCK * BLOCK)
            y0 = (blocks @ self.transform.weight.reshape(self.transform.weight.shape[0], -1).t()).reshape(b, h, w, -1).permute(0, 3, 1, 2)
        else:
            y0 = self.transform(ycc)
        return y0 + self.refine(y0)


class Synthesis(nn.Module):
    """g_s: y [B,320,h,w] -> RGB [B,3,16h,16w] (nominally [0,1]; the caller clamps).
    Learned 1x1 refinement, transposed 16x16 transform initialised as the inverse DCT, fixed YCbCr->RGB,
    then a small residual CNN at full resolution that removes blocking."""

    def __init__(self, cfg):
        super().__init__()
        c = cfg['codec']
        self.scale = float(cfg['latent_scale'])
        self.refine = nn.Conv2d(cfg['latent_channels'], cfg['latent_channels'], 1)
        nn.init.zeros_(self.refine.weight)
        nn.init.zeros_(self.refine.bias)
        self.transform = nn.ConvTranspose2d(cfg['latent_channels'], 3, BLOCK, stride=BLOCK, bias=False)
        with torch.no_grad():
            self.transform.weight.copy_(dct_weight(cfg) / self.scale)
        self.register_buffer('ycc2rgb', YCC2RGB.clone().view(3, 3, 1, 1))
        self.register_buffer('ycc_offset', torch.tensor([0.5, 0.0, 0.0]).view(1, 3, 1, 1))
        ch = c['deblock_channels']
        layers = [nn.Conv2d(3, ch, 3, padding=1), nn.ReLU()]
        for _ in range(c['deblock_layers'] - 2):
            layers += [nn.Conv2d(ch, ch, 3, padding=1), nn.ReLU()]
        last = nn.Conv2d(ch, 3, 3, padding=1)
        nn.init.zeros_(last.weight)
        nn.init.zeros_(last.bias)
        layers.append(last)
        self.deblock = nn.Sequential(*layers)

    matmul_path = True

    def forward(self, y):
        y = y + self.refine(y)
        if self.matmul_path:
            b, n, h, w = y.shape
            wt = self.transform.weight.reshape(n, -1)
            blocks = y.permute(0, 2, 3, 1).reshape(b * h * w, n) @ wt
            ycc = blocks.reshape(b, h, w, 3, BLOCK, BLOCK).permute(0, 3, 1, 4, 2, 5).reshape(b, 3, h * BLOCK, w * BLOCK)
        else:
            ycc = self.transform(y)
        ycc = ycc + self.ycc_offset
        rgb = F.conv2d(ycc, self.ycc2rgb)
        return rgb + self.deblock(rgb)


class CaptionEncoder(nn.Module):
    """tokens int64 [B,L] (0 = pad), mask float [B,L] -> embedding [B,caption_dim]. Masked mean of word
    embeddings followed by an MLP."""

    def __init__(self, cfg):
        super().__init__()
        g = cfg['generator']
        self.embed = nn.Embedding(g['vocab_size'], g['embed_dim'], padding_idx=0)
        self.mlp = nn.Sequential(nn.Linear(g['embed_dim'], g['caption_dim']), nn.SiLU(), nn.Linear(g['caption_dim'], g['caption_dim']))

    def forward(self, tokens, mask):
        e = self.embed(tokens) * mask.unsqueeze(-1)
        pooled = e.sum(1) / mask.sum(1, keepdim=True).clamp(min=1.0)
        return self.mlp(pooled)


def time_embedding(t, dim):
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
    a = t.view(-1, 1) * 1000.0 * freqs.view(1, -1)
    return torch.cat([torch.sin(a), torch.cos(a)], dim=1)


class ResBlock(nn.Module):
    def __init__(self, ch, cond_dim, dilation):
        super().__init__()
        self.norm1 = nn.GroupNorm(8, ch)
        self.film = nn.Linear(cond_dim, 2 * ch)
        self.conv1 = nn.Conv2d(ch, ch, 3, padding=dilation, dilation=dilation)
        self.norm2 = nn.GroupNorm(8, ch)
        self.conv2 = nn.Conv2d(ch, ch, 3, padding=1)
        nn.init.zeros_(self.conv2.weight)
        nn.init.zeros_(self.conv2.bias)

    def forward(self, h, cond):
        scale, shift = self.film(cond).unsqueeze(-1).unsqueeze(-1).chunk(2, dim=1)
        a = self.norm1(h) * (1 + scale) + shift
        a = self.conv1(F.silu(a))
        a = self.conv2(F.silu(self.norm2(a)))
        return h + a


class PriorMean(nn.Module):
    """centre(caption, y_sel, mask, quant_step): the centre of the flow's source distribution, in normalised latent
    space, trained by regression (the conditional mean of every channel). Starting the flow at the centre means
    zero velocity already gives the best blurry estimate; the flow only has to add what the centre cannot know.
    Transmitted channels are estimated too, inside their quantisation bin: y_sel + (step / 2) tanh(d), so a coarse
    step is smoothed (what bicubic upsampling of a thumbnail does) while the decoded latent still quantises back to
    exactly the transmitted values. quant_step [B] is the packet's step in g_a units."""

    def __init__(self, cfg):
        super().__init__()
        g = cfg['generator']
        n, ch = cfg['latent_channels'], g.get('prior_channels', g['channels'])
        blocks = g.get('prior_blocks', g['blocks'])
        self.in_y = nn.Conv2d(n, ch, 1)
        self.in_m = nn.Linear(n, ch, bias=False)
        cond_dim = 128
        self.cond = nn.Sequential(nn.Linear(g['caption_dim'], cond_dim), nn.SiLU())
        # log2 of the step joins the conditioning; zero-init so a prior trained before it warm-starts unchanged
        self.q_cond = nn.Linear(1, cond_dim)
        nn.init.zeros_(self.q_cond.weight)
        nn.init.zeros_(self.q_cond.bias)
        dil = ([1, 2, 4, 1] if blocks <= 4 else [1, 2, 4, 1, 2, 1, 1, 1])[:blocks]
        self.blocks = nn.ModuleList([ResBlock(ch, cond_dim, d) for d in dil])
        self.out_norm = nn.GroupNorm(8, ch)
        self.out = nn.Conv2d(ch, n, 3, padding=1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)
        # in-bin correction of the transmitted channels; zero-init = their dequantised values
        self.out_q = nn.Conv2d(ch, n, 3, padding=1)
        nn.init.zeros_(self.out_q.weight)
        nn.init.zeros_(self.out_q.bias)
        # per-channel std of g_a's output (the latent normalisation), to express the step in normalised units
        self.register_buffer('latent_std', torch.ones(n))

    def forward(self, caption, y_sel, mask, quant_step):
        h = self.in_y(y_sel) + self.in_m(mask).unsqueeze(-1).unsqueeze(-1)
        cond = self.cond(caption) + self.q_cond(torch.log2(quant_step).view(-1, 1) / 7.0)
        for b in self.blocks:
            h = b(h, cond)
        a = F.silu(self.out_norm(h))
        m = mask.view(mask.shape[0], -1, 1, 1)
        half_step = 0.5 * quant_step.view(-1, 1, 1, 1) / self.latent_std.view(1, -1, 1, 1)
        return self.out(a) * (1 - m) + (y_sel + half_step * torch.tanh(self.out_q(a))) * m


def load_prior(prior, state, std):
    """Loads a prior's weights, also from checkpoints made before the step input existed (those parameters keep
    their zero initialisation), and sets its latent normalisation."""
    missing = prior.load_state_dict(state, strict=False).missing_keys
    unexpected = [k for k in missing if not k.startswith(('q_cond.', 'out_q.', 'latent_std'))]
    if unexpected:
        raise RuntimeError(f'prior checkpoint lacks {unexpected}')
    prior.latent_std.copy_(std.view(-1))
    return missing


class Generator(nn.Module):
    """Rectified-flow velocity v(r_t, t, caption, y_sel, mask, centre) for the residual r = z - centre in
    normalised latent space, where centre = PriorMean's estimate (transmitted channels: its in-bin estimate).
    r_t, y_sel, centre: [B,320,h,w]; t: [B]; caption: [B,caption_dim] (zeros = no caption); mask: [B,320] (1 =
    the channel was transmitted; y_sel holds its normalised dequantised values, zeros elsewhere).
    The input layer is a 1x1 convolution over concat(r_t, y_sel, centre, mask broadcast), written as a sum so
    the constant mask planes are not materialised."""

    def __init__(self, cfg):
        super().__init__()
        g = cfg['generator']
        n, ch = cfg['latent_channels'], g['channels']
        self.in_z = nn.Conv2d(n, ch, 1)
        self.in_y = nn.Conv2d(n, ch, 1, bias=False)
        self.in_m = nn.Linear(n, ch, bias=False)
        # the flow's source centre (PriorMean's estimate); zero-init so a
        # generator trained before the prior existed warm-starts unchanged
        self.in_p = nn.Conv2d(n, ch, 1, bias=False)
        nn.init.zeros_(self.in_p.weight)
        cond_dim = 256
        self.t_dim = 64
        self.cond = nn.Sequential(nn.Linear(self.t_dim + g['caption_dim'], cond_dim), nn.SiLU(), nn.Linear(cond_dim, cond_dim), nn.SiLU())
        dil = [1, 2, 4, 1, 2, 1, 1, 1][: g['blocks']]
        self.blocks = nn.ModuleList([ResBlock(ch, cond_dim, d) for d in dil])
        self.out_norm = nn.GroupNorm(8, ch)
        self.out = nn.Conv2d(ch, n, 3, padding=1)
        # Per-channel, time-dependent skip v += s_k(t) z_t: the 128-wide trunk cannot carry 320 channels'
        # own values, yet the best velocity for a channel the conditions say nothing about is linear in z_t.
        self.skip = nn.Linear(self.t_dim, n)
        nn.init.zeros_(self.skip.weight)
        nn.init.zeros_(self.skip.bias)

    def forward(self, r_t, t, caption, y_sel, mask, centre):
        h = self.in_z(r_t) + self.in_y(y_sel) + self.in_p(centre) + self.in_m(mask).unsqueeze(-1).unsqueeze(-1)
        temb = time_embedding(t, self.t_dim)
        cond = self.cond(torch.cat([temb, caption], dim=1))
        for b in self.blocks:
            h = b(h, cond)
        return self.out(F.silu(self.out_norm(h))) + self.skip(temb).unsqueeze(-1).unsqueeze(-1) * r_t
