"""A decoder fine-tuned for set 22's or set 28's wire (config colour_wire 'wavelet'; set 28's: a step table of
[step, k, factor, j] rows, set28_wire_steps.json, and with luma_plane_input the plane's detail as a decoder input): g_a and the preview stay as shipped (frozen,
so the encoder, its channel ranking and every packet are unchanged), and the decoder trains on what the station gives
it for a set-22 packet:
  - channels 1-3: the Y, Cb, Cr thumbnails after the wire's wavelet coding (colour_wire.py) at the colour step
    step x 2^(k/4), (step, k) drawn per sample from step_table[C], pairs the set-22 encoder picked on training photos
    (training/configs/set22_wire_steps.json);
  - channel 0: the mosaic cut from those thumbnails; the learned channels quantised with the packet's step;
  - channels 0-3 always marked sent, the rule's (or random) C - 1 learned channels beside them;
and its output goes through the station's last step (src/core/codec/consistentThumbnail.ts) before every loss, so it
learns what the station shows, not what it would show without the correction."""
import functools
import json
import os

import numpy as np
import torch

import common
from channel_rule import channel_scores, top_masks
from colour_wire import code_thumbnails
from decoder_step import decode_selected
from fine_luma_wire import coarse_luma, fine_luma, luma_detail, make_consistent_fine
from latent_codec import LATENT_SCALE, fixed_channels, make_mosaic, without_gain


def uses_colour_wire(cfg):
    return cfg.get('colour_wire') == 'wavelet'


def step_table(cfg):
    """{C: [[step, k], ...]}: the config's step_table, or the pairs of the file in training/configs it names
    (set22_wire_steps.json, written by training/latent/wire_steps.ts), read once (every training step asks)."""
    t = cfg['step_table']
    return _step_file(t) if isinstance(t, str) else t


@functools.lru_cache(maxsize=None)
def _step_file(name):
    with open(os.path.join(common.TRAINING_DIR, 'configs', name)) as f:
        return json.load(f)['pairs']


def thumbnail_norm(cfg, g_a):
    """(scale [3], offset [3]): g_a's thumbnail channel p = scale[p] x window average of plane p + offset[p], from its
    frozen normalisation (the manifest's consistentThumbnail entry, which export writes from this)."""
    var, mean = g_a.norm.running_var[:3], g_a.norm.running_mean[:3]
    scale = LATENT_SCALE * float(cfg.get('colour_gain', 1.0)) / torch.sqrt(var + g_a.norm.eps)
    scale = scale * torch.tensor([float(cfg.get('luma_ratio', 1.0)), 1.0, 1.0], device=scale.device)
    return scale, -mean * scale


def make_consistent(x_hat, thumbs, scale, offset):
    """x_hat [B,3,H,W] with its 32-px Hann window YCbCr averages moved onto thumbs [B,3,h,w] (g_a's units): the
    difference upsampled x16 (bilinear), added in YCbCr. Differentiable in x_hat. (Set 28's step with a luma factor of 1.)"""
    return make_consistent_fine(x_hat, thumbs[:, :1], thumbs[:, 1:], 1, scale, offset)


def wire_conditions(cfg, scores, rng, dev):
    """Per sample: mask (channels 0-3 and C - 1 learned ones: the rule's with probability rule_share, else random),
    the packet's step, the colour (luma) step, the luma plane's factor and the chroma step (a set-22 table's rows
    [step, k]: factor 1, chroma at the colour step; set 28's [step, k, factor, j]: chroma at step x 2^(j/4))."""
    B, K = scores.shape
    fixed = fixed_channels(cfg)
    c = rng.choice(cfg['c_choices'], size=B, p=cfg['c_probs'])
    table = step_table(cfg)
    picks = [table[str(int(ci))][rng.integers(len(table[str(int(ci))]))] for ci in c]
    step = np.array([p[0] for p in picks], dtype=np.float64)
    colour_step = step * 2.0 ** (np.array([p[1] for p in picks]) / 4)
    factor = [int(p[2]) if len(p) > 2 else 1 for p in picks]
    chroma_step = step * 2.0 ** (np.array([p[3] if len(p) > 3 else p[1] for p in picks]) / 4)
    counts = torch.from_numpy(c + fixed - 1).to(dev)
    always = torch.full((B, fixed), float('inf'), dtype=torch.float64, device=dev)
    rule = top_masks(torch.cat([always, scores[:, fixed:].double()], 1), counts)
    rand = top_masks(torch.cat([always, torch.rand(B, K - fixed, dtype=torch.float64, device=dev)], 1), counts)
    use_rule = torch.from_numpy(rng.random(B) < cfg['rule_share']).to(dev).view(-1, 1).float()
    return rule * use_rule + rand * (1 - use_rule), torch.from_numpy(step).float().to(dev), colour_step, factor, chroma_step


def coded_luma(x, y_thumb, factor, step, scale, offset):
    """One sample's luma as the station has it: (the plane as the wire reconstructs it [1,1,f h,f w], the networks' Y
    thumbnail [1,1,h,w]); y_thumb [1,1,h,w] is g_a's Y thumbnail, which is the plane at factor 1."""
    src = y_thumb if factor == 1 else fine_luma(x, factor, scale[0], offset[0])
    plane = torch.from_numpy(code_thumbnails(src.double().cpu().numpy(), [step])).float().to(x.device)
    return plane, (plane if factor == 1 else coarse_luma(plane, factor))


def forward_colour_wire(cfg, nets, x, tokens, tmask, has_cap, rng, dev, drop_caption=True, info=None):
    """As train_latent_codec.forward, for a colour-thumbnail-wire decoder (set 22's wire, or set 28's with its luma
    plane): (corrected x_hat, 0: no preview loss, g_a frozen). info, a dict: gets each sample's luma factor ('factor')."""
    fixed = fixed_channels(cfg)
    scale, offset = thumbnail_norm(cfg, nets['g_a'])
    with torch.no_grad():
        y = nets['g_a'](x)
        plain = without_gain(cfg, y)
        scores = channel_scores(plain, x, nets['preview'].patterns())
        mask, step, colour_step, factor, chroma_step = wire_conditions(cfg, scores, rng, dev)
        if info is not None:
            info['factor'] = factor
        chroma = torch.from_numpy(code_thumbnails(y[:, 2:4].double().cpu().numpy(), chroma_step)).float().to(dev)
        lumas = [coded_luma(x[i:i + 1], y[i:i + 1, 1:2], factor[i], colour_step[i], scale, offset) for i in range(len(factor))]
        thumbs = torch.cat([torch.cat([t for _, t in lumas]), chroma], 1)
        detail = None
        if cfg.get('luma_plane_input'):
            detail = torch.cat([luma_detail(p, t, f) for (p, t), f in zip(lumas, factor)])
        s = step.view(-1, 1, 1, 1)
        learned = torch.sign(y[:, fixed:]) * torch.floor(y[:, fixed:].abs() / s + 0.5) * s
        y_sel = torch.cat([make_mosaic(thumbs, cfg['colour_layout']), thumbs, learned], 1) * mask.view(*mask.shape, 1, 1)
    x_hat = decode_selected(cfg, nets, y_sel, mask, step, tokens, tmask, has_cap, rng, dev, drop_caption, detail)
    out = [make_consistent_fine(x_hat[i:i + 1], p, chroma[i:i + 1], f, scale, offset) for i, ((p, _), f) in enumerate(zip(lumas, factor))]
    return torch.cat(out), torch.zeros((), device=dev)
