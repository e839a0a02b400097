"""Kodak evaluation of the generator (PyTorch EMA weights, the same ones exported to ONNX).
For each image and C in {0,1,2,4,8,16}: transmitted channels = top-C by the channel_select rule, quantised
with round(y/q)*q (q = --quant-step, y units); the prior's estimate plus the residual flow sampled with N Euler
steps from seeded noise (t: 1 -> 0; nets.sample_latent, as src/core/codec/decoder.ts does), transmitted channels
at the prior's in-bin estimate at t = 0, decoded by g_s. Reported: PSNR and
MS-SSIM (luma, 5 scales, as src/core/analysis/metrics.ts) against the original, for the generator and for
the baseline "transmitted channels, every other channel at its training mean, decoded by g_s" (and the
baseline "bicubic": that decode averaged per 16x16 block and bicubically upsampled).
Captions: none unless --captions is given (then C = 0 is caption-only; otherwise unconditional).
Detection agreement needs the TS detector and is measured by the codec benchmark, not here.
Usage: python3 training/set1/eval_generator.py --config cpu [--limit 24] [--steps 12] [--quant-step 4]"""
import argparse
import glob
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # training/
import sys_path  # noqa: E402,F401  training/'s parts on sys.path (training/README.md, Imports)

import common
from channel_select import rank_channels
from nets import Analysis, CaptionEncoder, Generator, PriorMean, Synthesis, channel_layout, load_prior, sample_latent
import tokenizer
from msssim import msssim as msssim_batch

def to_u8(img):
    return torch.round(img.clamp(0, 1) * 255).double()


def psnr(a, b):
    mse = ((a - b) ** 2).mean().item()
    return 10 * np.log10(255 * 255 / max(mse, 1e-10))


@torch.no_grad()
def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--config', default='cpu')
    ap.add_argument('--limit', type=int, default=24)
    ap.add_argument('--steps', type=int, default=12)
    ap.add_argument('--quant-step', type=float, default=4.0)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--temperature', type=float, default=1.0, help='scale of the starting noise (1 = the trained source distribution)')
    ap.add_argument('--every', type=int, default=1, help='use every k-th Kodak image (after --limit)')
    ap.add_argument('--shard', default='0/1', help='i/n: evaluate the i-th of n interleaved parts (run n processes, then --merge n)')
    ap.add_argument('--merge', type=int, help='merge n shard files into metrics_generator.json and exit')
    ap.add_argument('--threads', type=int)
    ap.add_argument('--data-dir', help='folder of PNGs to evaluate instead of Kodak (e.g. ../shared/data/kitti/image_2 to choose the sampling temperature without touching the reported sets)')
    ap.add_argument('--out', help='metrics file name under the run folder (default metrics_generator.json)')
    ap.add_argument('--captions', help='jsonl {file, caption} written by `gsc caption --dir ../shared/data/kodak` (our built-in captioner)')
    a = ap.parse_args()
    cfg = common.load_config(a.config)
    common.setup(cfg)
    if a.threads:
        torch.set_num_threads(a.threads)
    rd = common.run_dir(cfg)
    if a.merge:
        return merge(rd, a.merge)
    si, sn = (int(v) for v in a.shard.split('/'))
    codec = torch.load(os.path.join(rd, 'codec.pt'), map_location='cpu')
    gck = torch.load(os.path.join(rd, 'generator.pt'), map_location='cpu')
    ga, gs, gen, enc, prior = Analysis(cfg).eval(), Synthesis(cfg).eval(), Generator(cfg).eval(), CaptionEncoder(cfg).eval(), PriorMean(cfg).eval()
    load_prior(prior, gck['prior_ema'], gck['std'])
    enc.load_state_dict(gck['caption_encoder'])
    caps = {}
    if a.captions:
        with open(a.captions) as fc:
            for line in fc:
                if line.strip():
                    r = json.loads(line)
                    caps[os.path.basename(r['file'])] = r['caption']
    ga.load_state_dict(codec['g_a'])
    gs.load_state_dict(codec['g_s'])
    gen.load_state_dict(gck['generator_ema'])
    n = cfg['latent_channels']
    mean, std = gck['mean'].view(1, n, 1, 1), gck['std'].view(1, n, 1, 1)
    files = sorted(glob.glob(os.path.join(a.data_dir or common.KODAK_DIR, '*.png')))[: a.limit][:: a.every]
    all_files = files
    files = files[si::sn]
    if not files:
        raise SystemExit(f'no PNG images at {a.data_dir or common.KODAK_DIR}; skipping')
    Cs = [0, 1, 2, 4, 8, 16]
    rows = {c: {'gen_psnr': [], 'gen_msssim': [], 'base_psnr': [], 'base_msssim': [], 'bicubic_psnr': [], 'bicubic_msssim': []} for c in Cs}
    t0 = time.time()
    for f in files:
        im = torch.from_numpy(common.load_rgb(f)).permute(2, 0, 1).float().unsqueeze(0) / 255.0
        H, W = im.shape[-2:]
        x = common.pad16(im)
        orig = to_u8(im[0])
        y = ga(x)
        order = rank_channels(y[0].numpy(), x[0].numpy(), channel_layout(cfg), cfg['latent_scale'])
        h, w = y.shape[-2:]
        for c in Cs:
            idx = torch.tensor(order[:c], dtype=torch.long)
            mask = torch.zeros(1, n)
            mask[0, idx] = 1.0
            m4 = mask.view(1, n, 1, 1)
            yq = torch.round(y / a.quant_step) * a.quant_step
            ysel = ((yq - mean) / std) * m4
            g = torch.Generator().manual_seed(a.seed)
            noise = torch.randn(1, n, h, w, generator=g) * a.temperature
            cap = torch.zeros(1, cfg['generator']['caption_dim'])
            if os.path.basename(f) in caps:
                ids, tm = tokenizer.encode(caps[os.path.basename(f)], gck['vocab'], cfg['generator']['max_tokens'])
                cap = enc(torch.tensor([ids]), torch.tensor([tm]))
            # as the codec's decoder does (src/core/codec/decoder.ts)
            z = sample_latent(gen, prior(cap, ysel, mask, torch.tensor([a.quant_step])), cap, ysel, mask, noise, a.steps)
            rec = gs(z * std + mean)[..., :H, :W]
            base_lat = yq * m4 + mean * (1 - m4)
            full = gs(base_lat)
            base = full[..., :H, :W]
            # bicubic: the same decode reduced to one value per 16x16 block, bicubically upsampled
            bic = F.interpolate(F.avg_pool2d(full, 16), scale_factor=16, mode='bicubic', align_corners=False)[..., :H, :W]
            for key, img in (('gen', rec), ('base', base), ('bicubic', bic)):
                u = to_u8(img[0])
                rows[c][key + '_psnr'].append(psnr(u, orig))
                rows[c][key + '_msssim'].append(float(msssim_batch(u[None] / 255, orig[None] / 255, floor=0)[0]))
        print(f'{os.path.basename(f)} done {time.time() - t0:.0f}s', flush=True)
    out = {'temperature': a.temperature, 'dataset': f'{os.path.basename(os.path.normpath(a.data_dir)) if a.data_dir else "kodak"} ({len(all_files)} images: ' + ', '.join(os.path.basename(f)[:-4] for f in all_files) + ')', 'steps': a.steps, 'quantStep': a.quant_step, 'seed': a.seed,
           'captions': f'built-in captioner ({len(caps)} Kodak captions loaded; every evaluated image had one)' if caps else 'none (caption embedding zeros)', 'generatorTrainingSteps': gck['steps'], 'perC': {}}
    out['perImage'] = {str(c): {k: [round(x, 4) for x in v] for k, v in rows[c].items()} for c in Cs}
    for c in Cs:
        out['perC'][str(c)] = {k: round(float(np.mean(v)), 4) for k, v in rows[c].items()}
    out['machine'] = common.hardware_string(torch.device('cpu'))
    out['measuredWith'] = 'PyTorch (the exported ONNX matches it to the max abs diff in the manifest notes)'
    name = (a.out or 'metrics_generator.json') if sn == 1 else f'metrics_generator_shard{si}of{sn}.json'
    with open(os.path.join(rd, name), 'w') as fo:
        json.dump(out, fo, indent=1)
    print(json.dumps(out['perC'], indent=1))


def merge(rd, n):
    parts = []
    for i in range(n):
        with open(os.path.join(rd, f'metrics_generator_shard{i}of{n}.json')) as f:
            parts.append(json.load(f))
    out = dict(parts[0])
    out['perImage'] = {}
    out['perC'] = {}
    for c in parts[0]['perImage']:
        out['perImage'][c] = {k: sum((p['perImage'][c][k] for p in parts), []) for k in parts[0]['perImage'][c]}
        out['perC'][c] = {k: round(float(np.mean(v)), 4) for k, v in out['perImage'][c].items()}
    out['images'] = len(out['perImage']['0']['gen_psnr'])
    with open(os.path.join(rd, 'metrics_generator.json'), 'w') as f:
        json.dump(out, f, indent=1)
    print(json.dumps(out['perC'], indent=1))


if __name__ == '__main__':
    main()
