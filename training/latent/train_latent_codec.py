"""Train model set 3 end to end: g_a, the selection preview, the caption encoder and the generative decoder
(latent_codec.py), with a patch discriminator. One command per configuration; it resumes from its checkpoint.

Per step, for a batch of random crops:
  y = g_a(x); scores = the selection rule (channel_rule.py) through the preview;
  per sample a C from c_choices, the rule's top-C channels with probability rule_share, else C random ones;
  a quantisation step from quant_steps, y quantised with a straight-through rounding (exactly what the wire
  carries), zeros where not sent; the caption embedding (dropped with probability caption_dropout);
  x_hat = D(y_sel, mask, caption, log2 step, noise).
Loss: l1 * |x_hat - x| + msssim * (1 - MS-SSIM) + colour * CIELAB distance at 1/8 scale (the colour metric's
scale) + block_edge * the cells' band steps beyond the original's + grid_period * the 16-offset profile of squared steps against the original's + grid_peak * that profile's
peaks above the original's + grid_shape * its shape both ways, grain-proof (block_edges.py) + detail_excess *
texture where the original is flatter + flat_detail * detail drawn in the original's flattest quarter (detail_excess.py) + lpips * LPIPS-squeeze + adversarial * hinge generator loss (from adv_start on) + detector * how differently
the station's detector reads x_hat and x, both box-downscaled by 1/detector_scale (set1/detector_torch.py), + the
preview's regression to the 4x4 YCbCr means. Discriminator: hinge loss on real crops vs x_hat.
--snapshot DIR also writes, at every save, an EMA-only copy of the checkpoint into DIR (what a lent GPU machine brings
back: training/device/device_job_latent.sh); training/device/device_unpack_latent.sh reassembles it, and --resume continues from it.
Usage: /usr/bin/python3 training/latent/train_latent_codec.py --config v3_cpu [--steps N] [--max-minutes M] [--resume] [--snapshot DIR]"""
import argparse
import copy
import hashlib
import io
import json
import math
import os
import secrets
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # training/
import sys_path  # noqa: E402,F401  training/'s parts on sys.path (training/README.md, Imports)

import common
import latents
import tokenizer
from channel_rule import channel_scores, top_masks
from perceptual_metrics import colour_loss
from detector_torch import DetectorHeads, agreement_loss
from latent_codec import DETAIL_CHANNELS, LATENT_CHANNELS, MOSAIC_LAYOUTS, fixed_channels, has_luma_detail, sync_chroma_norm, without_gain, Analysis, CaptionEncoder, Decoder, PatchDiscriminator, Preview, ycc_planes
from msssim import msssim
from block_edges import block_edge_excess, grid_period_excess, grid_peak_excess, grid_shape_excess
from detail_excess import detail_excess, flat_detail
from decoder_step import decode_selected
from wire_training import forward_colour_wire, uses_colour_wire

CKPT = 'latent_codec.pt'
# --snapshot: the device tool returns at most 8 files of at most 16 MiB, so the EMA-only copy goes out in parts of
# SNAPSHOT_PART bytes, listed (with the whole file's size and sha256) in SNAPSHOT_INDEX, which is written last.
SNAPSHOT_PART = 15_000_000
SNAPSHOT_INDEX = 'snapshot.json'
SNAPSHOT_STEM = 'latent_codec_ema'


class Crops:
    """Random crops (with horizontal flips) of the training photos, with each photo's caption tokens."""

    def __init__(self, cfg, crop, dev=None):
        photos = [(rel, im) for rel, im in common.load_train_images(cfg) if min(im.shape[:2]) >= crop]
        caps = latents.load_captions()
        vocab = tokenizer.load_vocab(os.path.join(common.MODELS_DIR, 'caption_vocab.json'))
        self.crop = crop
        # uint8 photos on the training device (crops are cut there: on a GPU the host would not keep up)
        self.images = [torch.from_numpy(im).permute(2, 0, 1).contiguous().to(dev or 'cpu') for _, im in photos]
        L = vocab['maxTokens']
        self.tokens = torch.zeros(len(photos), L, dtype=torch.long)
        self.tmask = torch.zeros(len(photos), L)
        self.has_cap = torch.zeros(len(photos), dtype=torch.bool)
        for i, (rel, _) in enumerate(photos):
            c = caps.get(rel.replace(os.sep, '/'))
            if c is None:
                continue
            ids, m = tokenizer.encode(c, vocab['tokens'], L)
            self.tokens[i], self.tmask[i], self.has_cap[i] = torch.tensor(ids), torch.tensor(m), True
        self.vocab_size = len(vocab['tokens']) + 2

    def sample(self, rng, n):
        idx = rng.integers(len(self.images), size=n)
        out = torch.empty(n, 3, self.crop, self.crop, device=self.images[0].device)
        for j, i in enumerate(idx):
            im = self.images[i]
            oy = rng.integers(im.shape[1] - self.crop + 1)
            ox = rng.integers(im.shape[2] - self.crop + 1)
            c = im[:, oy:oy + self.crop, ox:ox + self.crop].float() / 255.0
            out[j] = c.flip(-1) if rng.random() < 0.5 else c
        idx = torch.from_numpy(idx)
        return out, self.tokens[idx], self.tmask[idx], self.has_cap[idx]


# config keys of the terms that compare x_hat with x alone, in the order they are added (and logged)
PICTURE_TERMS = {'grid_period': grid_period_excess, 'grid_peak': grid_peak_excess, 'grid_shape': grid_shape_excess,
                 'detail_excess': detail_excess, 'flat_detail': flat_detail, 'block_edge': block_edge_excess}


def quantise_ste(y, step):
    """Round y / step (half away from zero, as the wire does) with a straight-through gradient."""
    s = step.view(-1, 1, 1, 1)
    q = torch.sign(y) * torch.floor(y.abs() / s + 0.5) * s
    return y + (q - y).detach()


def build(cfg):
    return {'g_a': Analysis(cfg), 'preview': Preview(), 'caption': CaptionEncoder(cfg), 'decoder': Decoder(cfg)}


def load_ema(cfg, ck):
    """The networks of a checkpoint's EMA weights, in eval mode, as the station runs them."""
    nets = build(cfg)
    for k, v in nets.items():
        v.load_state_dict(ck['ema'][k])
        v.eval()
    sync_chroma_norm(nets)
    return nets


def forced_first(cfg, scores):
    """Set 4 always sends its mosaic channel 0 first: the rule (or chance) picks the other C - 1."""
    if cfg.get('colour_layout') not in MOSAIC_LAYOUTS:
        return scores
    return torch.cat([torch.full_like(scores[:, :1], float('inf')), scores[:, 1:]], dim=1)


def conditions(cfg, scores, rng, dev):
    """Per-sample masks (rule's top-C or random C), steps."""
    B, K = scores.shape
    c = torch.from_numpy(rng.choice(cfg['c_choices'], size=B, p=cfg['c_probs'])).to(dev)
    rule = top_masks(forced_first(cfg, scores), c)
    rand = top_masks(forced_first(cfg, torch.rand(B, K, dtype=torch.float64, device=dev)), c)
    use_rule = torch.from_numpy(rng.random(B) < cfg['rule_share']).to(dev).view(-1, 1).float()
    mask = rule * use_rule + rand * (1 - use_rule)
    step = torch.from_numpy(rng.choice(cfg['quant_steps'], size=B).astype(np.float32)).to(dev)
    return mask, step


def forward(cfg, nets, x, tokens, tmask, has_cap, rng, dev, drop_caption=True, info=None):
    if uses_colour_wire(cfg):
        return forward_colour_wire(cfg, nets, x, tokens, tmask, has_cap, rng, dev, drop_caption, info)
    y = nets['g_a'](x)
    sync_chroma_norm(nets)
    plain = without_gain(cfg, y.detach())  # the preview and the rule see every channel at one scale
    prev = nets['preview'](plain)
    prev_loss = F.mse_loss(prev, F.avg_pool2d(ycc_planes(x), 4))
    scores = channel_scores(plain, x, nets['preview'].patterns())
    mask, step = conditions(cfg, scores, rng, dev)
    y_sel = quantise_ste(y, step) * mask.view(*mask.shape, 1, 1)
    return decode_selected(cfg, nets, y_sel, mask, step, tokens, tmask, has_cap, rng, dev, drop_caption), prev_loss


def init_disc_from(disc, ck, path):
    """A fine-tuning run (config init_disc) keeps the discriminator its starting checkpoint `ck` (read from `path`)
    trained, so the generator does not face a fresh critic that rewards anything for its first hundreds of steps."""
    if 'disc' not in ck:
        sys.exit(f'gsc: {path} holds no discriminator (init_disc needs one)')
    disc.load_state_dict(ck['disc'])


def detector_term(cfg, dev):
    """The detector-agreement loss of a config with detector > 0, else None. The station runs the detector on a
    416-pixel letterbox, so training photos (short side up to 512) are seen at about half scale: crops are
    box-downscaled by 1/detector_scale first (the crop times detector_scale must be a multiple of 32)."""
    if cfg.get('detector', 0) <= 0:
        return None
    factor = round(1 / cfg.get('detector_scale', 0.5))
    if (cfg['crop'] // factor) % 32:
        sys.exit(f"gsc: detector term needs crop / {factor} to be a multiple of 32 (crop {cfg['crop']})")
    heads = DetectorHeads().to(dev).eval()  # its weights are buffers: nothing in it trains

    def term(x_hat, x):
        return agreement_loss(heads, F.avg_pool2d(x_hat.clamp(0, 1), factor), F.avg_pool2d(x, factor))
    return term


def init_from_set3(nets, ck, cfg):
    """Warm start of a mosaic model from a set-4 checkpoint (same shapes, copied), or from a set-3 checkpoint's EMA weights: set 4's channel k >= 1 is set 3's
    channel k - 1 (Y, Cb, Cr, then the learned ones; the last learned one is dropped), channel 0 (the mosaic) starts
    unused by the trunk and reaches it through the zero-initialised in_mosaic. `ck` is the loaded checkpoint."""
    old = ck['ema']
    if ck['config']['latent_codec'].get('colour_layout') in MOSAIC_LAYOUTS:
        # a set-4 checkpoint has set 5's shapes: its weights carry over as they are (set 5 changes only what the
        # fixed channels hold, which fine-tuning adapts to)
        if has_luma_detail(cfg) and not has_luma_detail(ck['config']['latent_codec']):
            return init_luma_detail(nets, old)
        for name, net in nets.items():
            # a luma_plane_input decoder (set 29) from one without: its zero-initialised plane inputs stay as built
            new = [k for k in net.state_dict() if k not in old[name]]
            if any(not k.startswith('in_luma') for k in new):
                sys.exit(f'gsc: the starting checkpoint has no {name} weights {new}')
            net.load_state_dict(old[name], strict=not new)
        return
    shifted = {('g_a', 'out.weight'), ('g_a', 'out.bias'), ('g_a', 'norm.running_mean'), ('g_a', 'norm.running_var')}
    for name, net in nets.items():
        sd = net.state_dict()
        for k, v in sd.items():
            o = old[name].get(k)
            if o is None:
                continue
            if (name, k) in shifted:
                sd[k] = o[:v.shape[0]].clone()
            elif (name == 'decoder' and k in ('in_y.weight', 'in_m.weight')) or (name == 'preview' and k == 'up.weight'):
                dim = 0 if name == 'preview' else 1
                t = torch.zeros_like(v)
                t.narrow(dim, 1, LATENT_CHANNELS - 1).copy_(o.narrow(dim, 0, LATENT_CHANNELS - 1))
                sd[k] = t
            elif o.shape == v.shape:
                sd[k] = o.clone()
        net.load_state_dict(sd)


def init_luma_detail(nets, old):
    """Warm start of a luma_detail model from a mosaic one: the last four latent channels become the luma detail,
    so g_a keeps its first learned outputs (and their normalisation), and the decoder and the preview start blind to
    the detail channels except through the direct path, which starts as the colour path's Y column."""
    for name, net in nets.items():
        sd = net.state_dict()
        for k, v in sd.items():
            o = old[name].get(k)
            if o is not None and o.shape == v.shape:
                sd[k] = o.clone()
            elif o is not None and o.dim() >= 1 and o.shape[1:] == v.shape[1:]:
                sd[k] = o[:v.shape[0]].clone()  # g_a's out conv and norm: fewer learned channels
        if name == 'decoder':
            sd['in_y.weight'][:, -DETAIL_CHANNELS:] = 0
            sd['in_m.weight'][:, -DETAIL_CHANNELS:] = 0
            sd['detail_colour.weight'] = sd['colour.weight'][:, :1].clone()
            sd['detail_colour.bias'] = torch.zeros_like(sd['detail_colour.bias'])
        if name == 'preview':
            sd['up.weight'][-DETAIL_CHANNELS:] = 0
        net.load_state_dict(sd)


def saturate(cfg, x, rng):
    """Config saturate [share, most]: that share of the crops get their colour pushed away from their grey by a factor
    drawn from 1..most (clipped to 0..1), so the decoder meets the saturated colours ImageNet crops seldom hold (sets
    13-17 turned a saturated orange flower red: their 1/4-scale layers add +0.42 red there, set 5's +0.12)."""
    share, most = cfg.get('saturate', (0, 1))
    if share <= 0:
        return x
    pick = torch.from_numpy(rng.random(x.shape[0]) < share).to(x.device).view(-1, 1, 1, 1)
    k = torch.from_numpy(rng.uniform(1.0, most, x.shape[0]).astype(np.float32)).to(x.device).view(-1, 1, 1, 1)
    grey = ycc_planes(x)[:, :1]
    return torch.where(pick, (grey + (x - grey) * k).clamp(0, 1), x)


def lr_at(cfg, step, total):
    warm = 200
    if step < warm:
        return cfg['lr'] * (step + 1) / warm
    return cfg['lr'] * (0.2 + 0.8 * 0.5 * (1 + math.cos(math.pi * min(1.0, step / max(1, total)))))


def save(path, cfg, nets, ema, disc, opt, dopt, step, rng, log_tail, dev=None, snapshot=None, log_path=None):
    tmp = path + '.tmp'
    if dev is None:
        dev = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    hardware = common.hardware_string(dev)
    torch.save({
        'config': cfg, 'step': step,
        'nets': {k: v.state_dict() for k, v in nets.items()},
        'ema': {k: v.state_dict() for k, v in ema.items()},
        'disc': disc.state_dict(), 'opt': opt.state_dict(), 'dopt': dopt.state_dict(),
        'rng': rng.bit_generator.state, 'torch_rng': torch.get_rng_state(), 'log_tail': log_tail,
        'hardware': hardware,
    }, tmp)
    os.replace(tmp, path)
    if snapshot:
        cpu = lambda sd: {k: t.detach().cpu() for k, t in sd.items()}
        write_snapshot(snapshot, {
            'config': cfg, 'step': step, 'snapshot': True,
            'ema': {k: cpu(v.state_dict()) for k, v in ema.items()},
            'disc': cpu(disc.state_dict()),
            'rng': rng.bit_generator.state, 'torch_rng': torch.get_rng_state(), 'log_tail': log_tail,
            'hardware': hardware, 'train_data': common.train_pack_note(),
        }, log_path)


def _write_file(path, data):
    tmp = path + '.tmp'
    with open(tmp, 'wb') as f:
        f.write(data)
    os.replace(tmp, path)


def write_snapshot(folder, snap, log_path=None):
    """The EMA-only checkpoint `snap` into `folder` as parts of at most SNAPSHOT_PART bytes, then SNAPSHOT_INDEX
    (step, size, sha256, part names; written last, so it always names a complete set), then the older parts are
    removed; plus a copy of the run's log.jsonl. Part names carry a fresh token, so a write never touches the parts
    the index names: a machine taken back mid-write still leaves the previous snapshot whole."""
    os.makedirs(folder, exist_ok=True)
    buf = io.BytesIO()
    torch.save(snap, buf)
    data = buf.getvalue()
    tag = f"{SNAPSHOT_STEM}.s{snap['step']:07d}.{secrets.token_hex(3)}"
    parts = []
    for i in range(0, len(data), SNAPSHOT_PART):
        parts.append(f'{tag}.part{len(parts):02d}')
        _write_file(os.path.join(folder, parts[-1]), data[i:i + SNAPSHOT_PART])
    if log_path and os.path.exists(log_path):
        with open(log_path, 'rb') as f:
            _write_file(os.path.join(folder, 'log.jsonl'), f.read())
    index = {'file': CKPT, 'config': snap['config']['name'], 'step': snap['step'], 'bytes': len(data),
             'sha256': hashlib.sha256(data).hexdigest(), 'parts': parts, 'hardware': snap['hardware']}
    _write_file(os.path.join(folder, SNAPSHOT_INDEX), (json.dumps(index, indent=1) + '\n').encode())
    for name in os.listdir(folder):
        if name.startswith(SNAPSHOT_STEM + '.') and name not in parts:
            os.remove(os.path.join(folder, name))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--config', default='v3_cpu')
    ap.add_argument('--steps', type=int)
    ap.add_argument('--max-minutes', type=float)
    ap.add_argument('--resume', action='store_true')
    ap.add_argument('--out', help='run folder (default training/runs/<config name>)')
    ap.add_argument('--init-from', metavar='CKPT', help='a fresh run starts from a set-3 or set-4 checkpoint (mosaic configs: see init_from_set3)')
    ap.add_argument('--snapshot', metavar='DIR', help='at every save, also write an EMA-only copy of the checkpoint into DIR, '
                    f'in parts of at most {SNAPSHOT_PART} bytes, with the log (training/device/device_unpack_latent.sh reassembles it)')
    a = ap.parse_args()
    full = common.load_config(a.config)
    cfg = full['latent_codec']
    dev = common.setup(full)
    if dev.type == 'cuda':
        torch.backends.cudnn.benchmark = True  # fixed crop size: let cuDNN pick its fastest convolutions once
    torch.set_flush_denormal(True)  # zero-initialised layers make denormal gradients, which are slow on CPU
    total = a.steps or cfg['steps']
    out = a.out or common.run_dir(full)
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, CKPT)
    data = Crops(full, cfg['crop'], dev)
    if data.vocab_size != cfg['vocab_size']:
        sys.exit(f"gsc: caption_vocab.json has {data.vocab_size} ids, the config says vocab_size {cfg['vocab_size']}")
    nets = {k: v.to(dev) for k, v in build(cfg).items()}
    ema = {k: copy.deepcopy(v).eval() for k, v in nets.items()}
    disc = PatchDiscriminator().to(dev)
    # config train_only: the networks that train; the others stay as loaded (eval mode: g_a's frozen normalisation)
    trained = cfg.get('train_only', list(nets))
    for k, v in nets.items():
        if k not in trained:
            v.eval().requires_grad_(False)
    params = [p for k, v in nets.items() if k in trained for p in v.parameters()]
    # config new_layer_lr: the learning rate of layers a warm start adds (zero-initialised, e.g. the decoder's in_luma
    # inputs) over the others', so they learn in a fine-tuning's few hundred steps at its low rate
    fresh = [p for k, v in nets.items() if k in trained for n, p in v.named_parameters() if n.startswith('in_luma')]
    groups = [{'params': [p for p in params if all(p is not q for q in fresh)], 'mult': 1.0}]
    if fresh:
        groups.append({'params': fresh, 'mult': float(cfg.get('new_layer_lr', 1.0))})
    opt = torch.optim.Adam(groups, lr=cfg['lr'], betas=(0.9, 0.99))
    dopt = torch.optim.Adam(disc.parameters(), lr=cfg['lr'], betas=(0.5, 0.99))
    rng = np.random.default_rng(full['seed'])
    start = 0
    log_tail = []
    ck = torch.load(path, map_location='cpu', weights_only=False) if a.resume and os.path.exists(path) else None
    if ck is not None and 'nets' not in ck:
        # an EMA-only snapshot (--snapshot; what a lent GPU machine brings back): the networks continue from the EMA
        # weights, the discriminator and the random streams from the snapshot, the optimisers start afresh
        for k in nets:
            nets[k].load_state_dict(ck['ema'][k])
            ema[k].load_state_dict(ck['ema'][k])
        disc.load_state_dict(ck['disc'])
        rng.bit_generator.state = ck['rng']
        torch.set_rng_state(ck['torch_rng'])
        start, log_tail = ck['step'], ck.get('log_tail', [])
        print(f'resumed at step {start} from an EMA snapshot (fresh optimiser state)', flush=True)
    elif ck is not None:
        for k, v in nets.items():
            v.load_state_dict(ck['nets'][k])
        for k, v in ema.items():
            v.load_state_dict(ck['ema'][k])
        disc.load_state_dict(ck['disc'])
        opt.load_state_dict(ck['opt'])
        dopt.load_state_dict(ck['dopt'])
        rng.bit_generator.state = ck['rng']
        torch.set_rng_state(ck['torch_rng'])
        start, log_tail = ck['step'], ck.get('log_tail', [])
        print(f'resumed at step {start}', flush=True)
    elif a.init_from:
        start_ck = torch.load(a.init_from, map_location='cpu', weights_only=False)  # read once: networks, then discriminator
        init_from_set3(nets, start_ck, cfg)
        for k in nets:
            ema[k].load_state_dict(nets[k].state_dict())
        if cfg.get('init_disc'):
            init_disc_from(disc, start_ck, a.init_from)
        print(f'started from {a.init_from} (its EMA weights, mapped to the mosaic layout'
              f"{'; its discriminator' if cfg.get('init_disc') else ''})", flush=True)
    elif a.resume:
        print(f'no checkpoint at {path}; starting from scratch', flush=True)
    lpips = None
    if cfg.get('lpips', 0) > 0:
        from lpips_squeeze import load_lpips_squeeze
        lpips = load_lpips_squeeze(dev)
    detector = detector_term(cfg, dev)
    w = cfg
    log_path = os.path.join(out, 'log.jsonl')
    t0 = time.time()
    last_save = time.time()
    step = start
    acc = {}
    print(f"{sum(p.numel() for p in params) / 1e6:.2f} M parameters; {len(data.images)} photos ({int(data.has_cap.sum())} captioned); "
          f"hardware {common.hardware_string(dev)}", flush=True)
    while step < total:
        if a.max_minutes and time.time() - t0 > a.max_minutes * 60:
            break
        for g in opt.param_groups:
            g['lr'] = lr_at(cfg, step, total) * g.get('mult', 1.0)
        x, tokens, tmask, has_cap = data.sample(rng, cfg['batch'])
        x, tokens, tmask = saturate(cfg, x.to(dev), rng), tokens.to(dev), tmask.to(dev)
        info = {}
        x_hat, prev_loss = forward(cfg, nets, x, tokens, tmask, has_cap, rng, dev, info=info)
        terms = {
            'l1': (x_hat - x).abs().mean(),
            'msssim': 1 - msssim(x_hat.clamp(0, 1), x).mean(),
            'colour': colour_loss(x_hat, x),
            'preview': prev_loss,
        }
        loss = w['l1'] * terms['l1'] + w['msssim'] * terms['msssim'] + w['colour'] * terms['colour'] + w['preview_weight'] * prev_loss
        if lpips is not None:
            terms['lpips'] = lpips(x_hat.clamp(0, 1), x).mean()
            loss = loss + w['lpips'] * terms['lpips']
        # config grid_terms 'plane_free' (set 29): the picture terms only on samples whose luma plane is the thumbnail
        # (factor 1). With a 1/4-scale plane the station's last step draws the plane's samples with a 4-pixel ripple, and
        # a term on the 16-offset gradient profile paid the decoder for false detail that hides it (run 1)
        picture = (x_hat, x)
        if w.get('grid_terms') == 'plane_free' and 'factor' in info:
            keep = torch.tensor([f == 1 for f in info['factor']], device=dev)
            picture = (x_hat[keep], x[keep]) if bool(keep.any()) else None
        for name, term in PICTURE_TERMS.items():
            if w.get(name, 0) > 0 and picture is not None:
                terms[name] = term(*picture)
                loss = loss + w[name] * terms[name]
        if detector is not None:
            terms['detector'] = detector(x_hat, x)
            loss = loss + w['detector'] * terms['detector']
        adv_on = w.get('adversarial', 0) > 0 and step >= w.get('adv_start', 0)
        # config disc_from_start: the discriminator trains from step 0 (a fresh one, when the starting checkpoint has
        # none), the generator meets it from adv_start on
        disc_on = adv_on or (w.get('adversarial', 0) > 0 and w.get('disc_from_start', False))
        if adv_on:
            for p in disc.parameters():
                p.requires_grad_(False)
            terms['adv_g'] = -disc(x_hat).mean()
            loss = loss + w['adversarial'] * terms['adv_g']
            for p in disc.parameters():
                p.requires_grad_(True)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        if disc_on:
            d_loss = F.relu(1 - disc(x)).mean() + F.relu(1 + disc(x_hat.detach())).mean()
            dopt.zero_grad(set_to_none=True)
            d_loss.backward()
            dopt.step()
            terms['adv_d'] = d_loss
        with torch.no_grad():
            decay = min(w['ema'], (1 + step) / (10 + step))
            for k in nets:
                for pe, pn in zip(ema[k].parameters(), nets[k].parameters()):
                    pe.mul_(decay).add_(pn.detach(), alpha=1 - decay)
                for be, bn in zip(ema[k].buffers(), nets[k].buffers()):
                    be.copy_(bn)
            sync_chroma_norm(ema)  # the EMA decoder's bins follow the running statistics, not the last batch's
        step += 1
        for k, v in terms.items():
            acc[k] = acc.get(k, 0.0) + float(v)
        acc['n'] = acc.get('n', 0) + 1
        if step % w['log_every'] == 0 or step == total:
            n = acc.pop('n')
            rec = {'step': step, 'seconds': round(time.time() - t0, 1), 'lr': opt.param_groups[0]['lr'], **{k: round(v / n, 5) for k, v in acc.items()}}
            acc = {}
            log_tail = (log_tail + [rec])[-2000:]
            with open(log_path, 'a') as f:
                f.write(json.dumps(rec) + '\n')
            print(json.dumps(rec), flush=True)
        if time.time() - last_save > w.get('save_seconds', 300) or step == total:
            save(path, full, nets, ema, disc, opt, dopt, step, rng, log_tail, dev, a.snapshot, log_path)
            last_save = time.time()
    save(path, full, nets, ema, disc, opt, dopt, step, rng, log_tail, dev, a.snapshot, log_path)
    print(f'saved {path} at step {step} ({time.time() - t0:.0f} s)', flush=True)


if __name__ == '__main__':
    main()
