"""Train the generator (prior mean + rectified flow) and the caption encoder jointly in normalised g_a latent space.
Prior: centre(caption, y_sel, mask, step), regression to the latent (the conditional mean; transmitted channels
inside their quantisation bin), loss weighted by each channel's variance in g_a units (so it is pixel MSE: g_a is
an orthogonal transform up to its refinement), plus prior_msssim_weight x (1 - MS-SSIM) of the picture g_s makes
of it against g_s of the true latent (configs/gpu.json; off in cpu.json, where g_s in the loop is too slow),
plus prior_detector_weight x how differently the station's detector reads those two pictures (detector_torch.py:
class probabilities and, where the original shows an object, box distributions; configs/cpu_det.json).
Flow, on the residual r = z - centre (centre detached):
r_0 = data residual, r_1 = Gaussian noise, r_t = t r_1 + (1 - t) r_0, target velocity v = r_1 - r_0 (loss on the
channels that were not transmitted; the decoder holds the others on the centre). Sampling runs t from 1 to 0:
r_{i-1} = r_i + (t_{i-1} - t_i) v(r_i, t_i, ...), image latent = centre + r_0.
Conditions per sample: C in c_choices (0 = caption only), the top-C channels of the image by the
channel_select rule, quantised with a random step in cond_quant_steps (y units), normalised;
caption embedding dropped (zeros) with probability caption_dropout (always, if no captions exist).
Usage: python3 training/set1/train_generator.py --config cpu [--steps N] [--resume]
A fine-tuning config (cpu_ms.json) names its starting run in "fine_tune_of" and always resumes."""
import argparse
import copy
import json
import os
import shutil
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # training/
import sys_path  # noqa: E402,F401  training/'s parts on sys.path (training/README.md, Imports)

import common
import latents
import tokenizer
from detector_torch import DetectorHeads, agreement_loss
from msssim import msssim
from nets import Analysis, CaptionEncoder, Generator, PriorMean, Synthesis, load_prior


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--config', default='cpu')
    ap.add_argument('--steps', type=int)
    ap.add_argument('--resume', action='store_true', help='continue from runs/<config>/generator.pt (e.g. once captions exist)')
    ap.add_argument('--max-minutes', type=float, help='stop (and save) after this much wall time; the LR decay follows whichever of steps/time is further along')
    a = ap.parse_args()
    cfg = common.load_config(a.config)
    dev = common.setup(cfg)
    g = cfg['generator']
    steps = a.steps or g['steps']
    out = common.run_dir(cfg)
    fine_tune_start(cfg, out)
    a.resume = a.resume or bool(cfg.get('fine_tune_of'))  # a fine-tuning run always continues a checkpoint
    codec = torch.load(os.path.join(out, 'codec.pt'), map_location='cpu')
    ga = Analysis(cfg)
    ga.load_state_dict(codec['g_a'])
    ga.to(dev)
    t0 = time.time()
    items, mean, std = latents.build_cache(cfg, ga, dev)
    items = [it for it in items if min(it['y'].shape[1:]) >= g['crop']]
    captions = latents.load_captions()
    vocab = tokenizer.build_vocab([captions[k] for k in sorted(captions)], g['vocab_size'] - 2)
    ids, tmask, has_cap = latents.caption_tokens(cfg, items, captions, vocab)
    ids, tmask = ids.to(dev), tmask.to(dev)
    print(f'generator: {len(items)} latents cached in {time.time() - t0:.0f}s; captions for {int(has_cap.sum())} images, vocabulary {len(vocab)} words', flush=True)

    gen, enc, prior = Generator(cfg).to(dev), CaptionEncoder(cfg).to(dev), PriorMean(cfg).to(dev)
    prior.latent_std.copy_(std.to(dev))
    done = 0
    ck_path = os.path.join(out, 'generator.pt')
    if a.resume and os.path.exists(ck_path):
        st = torch.load(ck_path, map_location=dev)
        missing = gen.load_state_dict(st['generator'], strict=False).missing_keys
        if missing:
            print(f'warm start: new parameters {missing} start from their initialisation', flush=True)
        enc.load_state_dict(st['caption_encoder_raw'] if 'caption_encoder_raw' in st else st['caption_encoder'])
        if 'prior' in st:
            new = load_prior(prior, st['prior'], std.to(dev))
            if new:
                print(f'warm start: new prior parameters {new} start from their initialisation', flush=True)
        else:
            print('warm start: no prior in the checkpoint; it starts from zero (the old flow\'s source centre)', flush=True)
        done = st['steps']
        print(f'resumed at step {done}', flush=True)
    ema_gen, ema_enc, ema_prior = copy.deepcopy(gen).eval(), copy.deepcopy(enc).eval(), copy.deepcopy(prior).eval()
    if a.resume and os.path.exists(ck_path):
        ema_gen.load_state_dict(st['generator_ema'], strict=False)
        ema_enc.load_state_dict(st['caption_encoder'])
        if 'prior_ema' in st:
            load_prior(ema_prior, st['prior_ema'], std.to(dev))
    params = list(gen.parameters()) + list(enc.parameters()) + list(prior.parameters())
    ema_params = list(ema_gen.parameters()) + list(ema_enc.parameters()) + list(ema_prior.parameters())
    opt = torch.optim.AdamW(params, lr=g['lr'], weight_decay=0.0)
    n_ch = cfg['latent_channels']
    mean_d, std_d = mean.to(dev).view(1, -1, 1, 1), std.to(dev).view(1, -1, 1, 1)
    prior_w = std_d ** 2 / (std_d ** 2).mean()
    sampler = latents.CropSampler(items, g['crop'], dev)
    ms_weight = float(g.get('prior_msssim_weight', 0))
    det_weight = float(g.get('prior_detector_weight', 0))
    if det_weight:
        if g['crop'] * 16 % 32:
            sys.exit(f'train_generator: prior_detector_weight needs a crop whose picture is a multiple of 32 px (crop {g["crop"]})')
        heads = DetectorHeads().to(dev).eval()
    if ms_weight or det_weight:
        gs = Synthesis(cfg)
        gs.load_state_dict(codec['g_s'])
        gs.to(dev).eval().requires_grad_(False)
    save_every = int(g.get('save_every', 100))
    rng = np.random.default_rng(cfg['seed'] + 7 + done)
    torch.manual_seed(cfg['seed'] + 7 + done)
    cap_drop = g['caption_dropout'] if has_cap.any() else 1.0
    crop, B = g['crop'], g['batch']
    ema_decay = 0.99 if steps < 2000 else (0.995 if steps < 5000 else 0.999)
    run_loss, t0 = None, time.time()
    limit_s = a.max_minutes * 60 if a.max_minutes else None
    for step in range(1, steps + 1):
        frac = step / steps
        if limit_s:
            frac = max(frac, (time.time() - t0) / limit_s)
        lr = g['lr'] * min(1.0, step / 100) * (1.0 if frac < 0.8 else max(0.1, (1 - frac) / 0.2))
        for pg in opt.param_groups:
            pg['lr'] = lr
        y, mask, idx = sampler.sample(rng, B, g['c_choices'])
        q = torch.from_numpy(rng.choice(g['cond_quant_steps'], size=B)).float().to(dev)
        z0 = (y - mean_d) / std_d
        qb = q.view(B, 1, 1, 1)
        y_sel = ((torch.round(y / qb) * qb - mean_d) / std_d) * mask.view(B, n_ch, 1, 1)
        idx_d = idx.to(dev)
        tok, tm = ids[idx_d], tmask[idx_d]
        keep = (has_cap[idx] & torch.from_numpy(rng.random(B) >= cap_drop)).float().to(dev).view(B, 1)
        cap = enc(tok, tm) * keep
        mu = prior(cap, y_sel, mask, q)
        centre = mu.detach()
        r0 = z0 - centre
        r1 = torch.randn_like(r0)
        t = torch.rand(B, device=dev)
        tt = t.view(B, 1, 1, 1)
        rt = tt * r1 + (1 - tt) * r0
        v = gen(rt, t, cap, y_sel, mask, centre)
        # transmitted channels stay on the centre in the decoder: no flow loss on them
        keep_ch = (1 - mask).view(B, n_ch, 1, 1)
        denom = keep_ch.sum() * crop * crop
        flow_loss = torch.sum(keep_ch * (v - (r1 - r0)) ** 2) / denom
        # every channel: the transmitted ones are estimated inside their quantisation bin
        prior_loss = torch.mean(prior_w * (mu - z0) ** 2)
        ms_loss = det_loss = torch.zeros((), device=dev)
        if ms_weight or det_weight:
            # the picture the prior alone decodes to, against the one the true latent decodes to
            with torch.no_grad():
                x_ref = gs(z0 * std_d + mean_d).clamp(0, 1)
            x_mu = gs(mu * std_d + mean_d).clamp(0, 1)
            if ms_weight:
                ms_loss = (1 - msssim(x_mu, x_ref)).mean()
                prior_loss = prior_loss + ms_weight * ms_loss
            if det_weight:
                det_loss = agreement_loss(heads, x_mu, x_ref)
                prior_loss = prior_loss + det_weight * det_loss
        loss = flow_loss + prior_loss
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        with torch.no_grad():
            torch._foreach_mul_(ema_params, ema_decay)
            torch._foreach_add_(ema_params, params, alpha=1 - ema_decay)
        parts = torch.stack([flow_loss.detach(), prior_loss.detach(), ms_loss.detach(), det_loss.detach()])
        run_loss = parts if run_loss is None else 0.95 * run_loss + 0.05 * parts
        if step % g['log_every'] == 0 or step == steps:
            print(f'generator step {done + step} flow loss {run_loss[0]:.4f} prior loss {run_loss[1]:.4f} (1 - MS-SSIM {run_loss[2]:.4f}, detector {run_loss[3]:.4f}) lr {lr:.2e} {time.time() - t0:.0f}s', flush=True)
        last = step == steps or (limit_s is not None and time.time() - t0 >= limit_s)
        if step % save_every == 0 or last:
            save(ck_path, cfg, dev, (ema_gen, ema_enc, ema_prior), (gen, enc, prior), mean, std, vocab, done + step, has_cap, run_loss)
        if last:
            print(f'generator: stopping at step {done + step} ({time.time() - t0:.0f}s)', flush=True)
            break
    print(f'saved {ck_path}', flush=True)


def fine_tune_start(cfg, out):
    """A fine-tuning config ("fine_tune_of": another config's name) starts from that run's codec and generator
    checkpoints, copied into its own run folder once (then --resume continues from its own)."""
    parent = cfg.get('fine_tune_of')
    if not parent:
        return
    for name in ('codec.pt', 'generator.pt'):
        dst, src = os.path.join(out, name), os.path.join(common.RUNS_DIR, parent, name)
        if not os.path.exists(dst):
            if not os.path.exists(src):
                sys.exit(f'train_generator: {cfg["name"]} fine-tunes runs/{parent}, which has no {name}; train --config {parent} first')
            shutil.copyfile(src, dst)
            print(f'fine-tuning: {name} copied from runs/{parent}', flush=True)


def save(path, cfg, dev, ema, raw, mean, std, vocab, steps, has_cap, loss):
    """EMA weights under 'generator_ema', 'caption_encoder', 'prior_ema' (export uses those); raw ones for resuming."""
    tmp = path + '.tmp'
    torch.save({'generator_ema': ema[0].state_dict(), 'caption_encoder': ema[1].state_dict(), 'prior_ema': ema[2].state_dict(),
                'generator': raw[0].state_dict(), 'caption_encoder_raw': raw[1].state_dict(), 'prior': raw[2].state_dict(),
                'flow_space': 'residual', 'mean': mean, 'std': std, 'vocab': vocab, 'steps': steps,
                'hardware': common.hardware_string(dev), 'captioned_images': int(has_cap.sum()), 'images': len(has_cap),
                'loss': float(loss[0]), 'prior_loss': float(loss[1]), 'prior_msssim_loss': float(loss[2]),
                'prior_detector_loss': float(loss[3]), 'config': cfg}, tmp)
    os.replace(tmp, path)


if __name__ == '__main__':
    main()
