"""Export g_a, g_s, generator and caption_encoder to ONNX (opset 17, dynamic batch/spatial axes), check
each against PyTorch through onnxruntime-node (training/onnx_check.ts, max abs difference), and update the
manifest entries of these four models (read-modify-write: other entries, e.g. "detector", are kept).
Usage: python3 training/set1/export_onnx.py --config cpu [--out resources/models] [--no-manifest]"""
import argparse
import datetime
import hashlib
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # training/
import sys_path  # noqa: E402,F401  training/'s parts on sys.path (training/README.md, Imports)

import common
import latents
from nets import Analysis, CaptionEncoder, Generator, PriorMean, Synthesis, channel_layout, load_prior

OPSET = 17
TOL = 1e-4  # max abs difference relative to max(1, max |reference|)


def sha256(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            h.update(chunk)
    return h.hexdigest()


def export(model, args, names_in, names_out, dyn, path):
    model.eval()
    torch.onnx.export(model, args, path, opset_version=OPSET, input_names=names_in, output_names=names_out,
                      dynamic_axes=dyn, do_constant_folding=True)


def tensor_json(t):
    t = t.detach().cpu()
    return {'dims': list(t.shape), 'type': 'int64' if t.dtype == torch.int64 else 'float32', 'data': t.flatten().tolist()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--config', default='cpu')
    ap.add_argument('--out', default=common.MODELS_DIR)
    ap.add_argument('--no-manifest', action='store_true')
    ap.add_argument('--metrics-only', action='store_true', help='keep the exported files; only refresh the manifest entries (e.g. after evaluation)')
    a = ap.parse_args()
    cfg = common.load_config(a.config)
    common.setup(cfg)
    out = os.path.abspath(a.out)
    os.makedirs(out, exist_ok=True)
    rd = common.run_dir(cfg)
    codec = torch.load(os.path.join(rd, 'codec.pt'), map_location='cpu')
    gck = torch.load(os.path.join(rd, 'generator.pt'), map_location='cpu')
    ga, gs, gen, enc, prior = Analysis(cfg), Synthesis(cfg), Generator(cfg), CaptionEncoder(cfg), PriorMean(cfg)
    ga.load_state_dict(codec['g_a'])
    gs.load_state_dict(codec['g_s'])
    gen.load_state_dict(gck['generator_ema'])
    enc.load_state_dict(gck['caption_encoder'])
    if 'prior_ema' not in gck:
        sys.exit('generator checkpoint has no prior (trained before the residual flow); retrain: train_generator.py --resume')
    load_prior(prior, gck['prior_ema'], gck['std'])
    for m in (ga, gs, gen, enc, prior):
        m.eval()
    ga.matmul_path = gs.matmul_path = False  # export the plain (transposed) convolutions
    n, g = cfg['latent_channels'], cfg['generator']
    torch.manual_seed(0)
    x = torch.rand(1, 3, 64, 96)
    y = torch.randn(1, n, 4, 6) * 10
    z = torch.randn(1, n, 4, 6)
    t = torch.tensor([0.7])
    cap = torch.randn(1, g['caption_dim'])
    mask = torch.zeros(1, n)
    mask[0, [0, 3, 17]] = 1
    ysel = torch.randn(1, n, 4, 6) * mask.view(1, n, 1, 1)
    centre = torch.randn(1, n, 4, 6)
    qstep = torch.tensor([24.0])
    L = g['max_tokens']
    tok = torch.zeros(1, L, dtype=torch.long)
    tok[0, :5] = torch.tensor([2, 7, 1, 30, 4])
    tmask = (tok > 0).float()
    tmask[0, 2] = 1.0
    hw = {0: 'n', 2: 'h', 3: 'w'}
    specs = {
        'g_a': (ga, (x,), ['image'], ['latent'], {'image': {0: 'n', 2: 'H', 3: 'W'}, 'latent': hw}),
        'g_s': (gs, (y,), ['latent'], ['image'], {'latent': hw, 'image': {0: 'n', 2: 'H', 3: 'W'}}),
        'generator': (gen, (z, t, cap, ysel, mask, centre), ['r_t', 't', 'caption', 'y_sel', 'mask', 'centre'], ['v'],
                      {'r_t': hw, 't': {0: 'n'}, 'caption': {0: 'n'}, 'y_sel': hw, 'mask': {0: 'n'}, 'centre': hw, 'v': hw}),
        'generator_prior': (prior, (cap, ysel, mask, qstep), ['caption', 'y_sel', 'mask', 'quant_step'], ['centre'],
                            {'caption': {0: 'n'}, 'y_sel': hw, 'mask': {0: 'n'}, 'quant_step': {0: 'n'}, 'centre': hw}),
        'caption_encoder': (enc, (tok, tmask), ['tokens', 'mask'], ['embedding'],
                            {'tokens': {0: 'n', 1: 'L'}, 'mask': {0: 'n', 1: 'L'}, 'embedding': {0: 'n'}}),
    }
    if a.metrics_only:
        with open(os.path.join(rd, 'onnx_check.json')) as f:
            diffs = json.load(f)
        write_manifest(out, cfg, codec, gck, specs, diffs, keep_export_notes=True)
        print('manifest refreshed in', out, flush=True)
        return
    cases = {}
    with torch.no_grad():
        for mid, (model, args, ins, outs, dyn) in specs.items():
            path = os.path.join(out, mid + '.onnx')
            export(model, args, ins, outs, dyn, path)
            ref = model(*args)
            cases[mid] = {'file': path, 'inputs': {k: tensor_json(v) for k, v in zip(ins, args)},
                          'outputs': {outs[0]: tensor_json(ref)}}
    with tempfile.NamedTemporaryFile('w', suffix='.json', delete=False) as f:
        json.dump(cases, f)
        case_path = f.name
    res = subprocess.run(['npx', 'tsx', os.path.join(common.TRAINING_DIR, 'onnx_check.ts'), case_path],
                         cwd=common.REPO_ROOT, capture_output=True, text=True)
    os.unlink(case_path)
    if res.returncode != 0:
        sys.exit(f'onnx check failed:\n{res.stdout}\n{res.stderr}')
    diffs = json.loads(res.stdout)
    bad = {k: v for k, v in diffs.items() if v['relMaxAbsDiff'] > TOL}
    print('onnxruntime vs pytorch:', json.dumps(diffs), flush=True)
    if bad:
        sys.exit(f'ONNX outputs differ from PyTorch beyond {TOL}: {bad}')
    with open(os.path.join(rd, 'onnx_check.json'), 'w') as f:
        json.dump(diffs, f)
    vocab_path = os.path.join(out, 'caption_vocab.json')
    with open(vocab_path, 'w') as f:
        json.dump({'formatVersion': 1, 'pad': 0, 'unknown': 1, 'firstWordId': 2, 'maxTokens': L,
                   'lowercase': 'ascii A-Z only', 'split': 'tokens are maximal runs of [a-z0-9]', 'tokens': gck['vocab']}, f, indent=0)
    if not a.no_manifest:
        write_manifest(out, cfg, codec, gck, specs, diffs)
    print('exported to', out, flush=True)


def io_spec(specs, mid):
    model, args, ins, outs, dyn = specs[mid]
    def shape(name, t):
        d = dyn.get(name, {})
        return [d.get(i, s) for i, s in enumerate(t.shape)]
    with torch.no_grad():
        ref = model(*args)
    return ([{'name': k, 'shape': shape(k, v), 'type': 'int64' if v.dtype == torch.int64 else 'float32'} for k, v in zip(ins, args)],
            [{'name': outs[0], 'shape': shape(outs[0], ref), 'type': 'float32'}])


def load_metrics(cfg, name):
    p = os.path.join(common.run_dir(cfg), f'metrics_{name}.json')
    if os.path.exists(p):
        with open(p) as f:
            m = json.load(f)
        m.pop('perImage', None)  # per-image rows stay in training/runs; the manifest keeps the summary
        return m
    return {'status': 'not measured yet'}


def prior_loss_terms(g):
    """The prior's extra loss terms through g_s, as its manifest entry states them."""
    terms = ''
    if g.get('prior_msssim_weight'):
        terms += f" + {g['prior_msssim_weight']} x (1 - MS-SSIM) through g_s"
    if g.get('prior_detector_weight'):
        terms += f" + {g['prior_detector_weight']} x detector disagreement (training/set1/detector_torch.py) through g_s"
    return terms


def generator_metrics(cfg):
    """Headline numbers first, then the full report: the product pipeline on Kodak (training/eval/eval_conditions.ts
    writes runs/<config>/metrics_conditions.json; run it on the exported models, then export again)."""
    pipe = load_metrics(cfg, 'conditions')
    m = {}
    if 'perC' in pipe:
        for c, row in pipe['perC'].items():
            m[f'kodak_msssim_C{c}'] = row['generator']['msssim']
            m[f'kodak_f1_C{c}'] = row['generator']['f1']
            if 'pooledF1' in row['generator']:
                m[f'kodak_pooled_f1_C{c}'] = row['generator']['pooledF1']
        for c, row in pipe['perC'].items():
            m[f'kodak_bicubic_msssim_C{c}'] = row['bicubic']['msssim']
            m[f'kodak_bicubic_f1_C{c}'] = row['bicubic']['f1']
            if 'pooledF1' in row['bicubic']:
                m[f'kodak_bicubic_pooled_f1_C{c}'] = row['bicubic']['pooledF1']
    m['pipeline'] = pipe
    return m


def write_manifest(out, cfg, codec, gck, specs, diffs, keep_export_notes=False):
    """keep_export_notes: metrics refresh only; each entry keeps its notes (export time, ONNX check) as exported."""
    mpath = os.path.join(out, 'manifest.json')
    man = {'formatVersion': 1, 'models': {}}
    if os.path.exists(mpath):
        with open(mpath) as f:
            man = json.load(f)
    man.setdefault('formatVersion', 1)
    man.setdefault('models', {})
    def data_of(n):
        return f"../shared/data/train ({n} photos: BSDS500, Sun-Hays 80, ImageNet samples; research/non-commercial terms, see its README)"
    data = data_of(codec['images'])
    # the generator's latents come from its own filter of the photos (crop size), recorded with its checkpoint
    gen_data = data_of(gck['images']) if 'images' in gck else data
    codec_data = data + (f"; {codec['pack']}" if codec.get('pack') else '')
    codec_cfg = codec.get('config', cfg)
    ga_trained = codec_cfg['codec'].get('train_analysis', True)
    lic = 'MIT (weights trained by this project); training images are research-use only'
    stamp = datetime.datetime.utcnow().replace(microsecond=0).isoformat() + 'Z'
    lay = channel_layout(cfg)
    common_notes = f"config training/configs/{cfg['name']}.json; exported {stamp}, opset {OPSET}; onnxruntime vs PyTorch max abs diff "
    cm = load_metrics(cfg, 'codec')
    gm = generator_metrics(cfg)
    entries = {
        'g_a': dict(stage='codec-analysis', **(dict(steps=codec['steps'], hardware=codec['hardware']) if ga_trained else
                                               dict(steps='not trained (fixed DCT transform)', hardware='none (not trained)', trainingData='none (not trained)')), metrics=cm,
                    latent={'channels': cfg['latent_channels'], 'downsample': 16, 'quantStepAllChannels': 1.0, 'scale': cfg['latent_scale'],
                            'inputPadding': 'edge-replicate to multiples of 16, crop the g_s output',
                            'layout': [{'plane': 'Y' if p == 0 else ('Cb' if p == 1 else 'Cr'), 'u': u, 'v': v} for p, u, v in lay]},
                    notes='RGB float32 in [0,1], NCHW, H and W multiples of 16 -> y (320 channels at 1/16). Channel k = 16 x the orthonormal 16x16 DCT coefficient (plane,u,v) of the layout (lowest frequency first) of YCbCr (full-range BT.601, Y centred on 0)' + (', refined by a learned 1x1 layer' if cfg['codec'].get('train_analysis', True) else '; in this configuration g_a is NOT trained (train_analysis=false): it is exactly that fixed transform') + '; quantise with round(y/quantStep). '),
        'g_s': dict(stage='codec-synthesis', steps=codec['steps'], hardware=codec['hardware'], metrics=cm, trainingData=codec_data,
                    notes='y (dequantised, 320 channels) -> RGB float32, clamp to [0,1] and crop the padding; trained with training/configs/' + codec_cfg['name'] + '.json. '),
        'generator': dict(stage='generator', trainingData=gen_data, steps=gck['steps'], hardware=gck['hardware'], metrics=gm,
                          modelId=cfg['model_id'], selectionRule=f'{latents.SELECTION_RULE} (training/set1/channel_select.py)',
                          trainedQuantSteps=cfg['generator']['cond_quant_steps'],
                          normalisation={'mean': [round(float(v), 6) for v in gck['mean']], 'std': [round(float(v), 6) for v in gck['std']],
                                         'rule': 'z = (y - mean[k]) / std[k] per channel k'},
                          sampling={'convention': 'residual flow: r = z - centre, centre = generator_prior(caption, y_sel, mask, quant_step) (transmitted channels: its in-bin estimate); r_0 = data residual, r_1 = N(0,I) noise, r_t = t r_1 + (1-t) r_0, v ~ r_1 - r_0',
                                    'step': 'r_{i-1} = r_i + (t_{i-1} - t_i) * v(r_i, t_i, ..., centre), t_i = i/N, from i = N (r = temperature * noise) to 0; transmitted channels held at r = t_i * noise',
                                    'recommendedSteps': cfg['generator'].get('sample_steps', 12), 'temperature': cfg['generator'].get('sample_temperature', 1.0),
                                    'holdBelowFrequency': cfg['generator'].get('sample_hold_below', 0),
                                    'hold': 'channels whose DCT frequency u+v (g_a.latent.layout) is below holdBelowFrequency are held like transmitted channels (r = t_i * noise), so they end on the prior\'s estimate',
                                    'afterSampling': 'z = centre + r (transmitted channels: r = 0, so z = the in-bin estimate, which quantises back to the transmitted values), denormalise, run g_s',
                                    'noCaption': 'caption input = zeros [1,128]'},
                          captionedImages=gck['captioned_images'],
                          notes='rectified-flow velocity of the residual around generator_prior\'s estimate, normalised g_a latent space, one model for C in {0,1,2,4,8,16}; y_sel = normalised dequantised transmitted channels scattered into 320 channels (zeros elsewhere), mask = 1 for transmitted channels. '),
        'generator_prior': dict(stage='generator-prior', trainingData=gen_data, steps=gck['steps'], hardware=gck['hardware'],
                                metrics={'status': 'trained jointly with the generator (regression to the latent, loss = pixel MSE' + prior_loss_terms(cfg['generator']) + '); its own Kodak numbers are the prior (steps 0) rows of the generator metrics'},
                                captionedImages=gck['captioned_images'],
                                notes='the conditional-mean estimate of every channel (normalised latent) from caption embedding, y_sel, mask and the packet\'s quant_step [1] (g_a units); transmitted channels are estimated inside their quantisation bin (y_sel + step/2 tanh(.)), so the decoded latent quantises back to the packet. The centre of the flow\'s source distribution. '),
        'caption_encoder': dict(stage='caption-encoder', trainingData=gen_data, steps=gck['steps'], hardware=gck['hardware'], metrics={'status': 'trained jointly with the generator; no separate metric'},
                                vocab='caption_vocab.json', vocabSha256=sha256(os.path.join(out, 'caption_vocab.json')), maxTokens=cfg['generator']['max_tokens'],
                                captionedImages=gck['captioned_images'],
                                notes='tokens int64 [1,L] (src/core/modelAssets/tokenizer.ts; 0 pad, 1 unknown), mask float32 [1,L] (1 = real token) -> embedding [1,128]. '),
    }
    for mid, e in entries.items():
        ins, outs = io_spec(specs, mid)
        path = os.path.join(out, mid + '.onnx')
        digest = sha256(path)
        old = man['models'].get(mid, {})
        if keep_export_notes and old.get('sha256') == digest and 'notes' in old:
            e['notes'] = old['notes']
        else:
            e['notes'] += common_notes + f"{diffs[mid]['maxAbsDiff']:.2e}."
        man['models'][mid] = {'stage': e.pop('stage'), 'file': mid + '.onnx', 'sha256': digest, 'bytes': os.path.getsize(path),
                              'inputs': ins, 'outputs': outs, 'trainingData': e.pop('trainingData', data), 'steps': e.pop('steps'), 'hardware': e.pop('hardware'),
                              'config': cfg['name'], 'license': lic, 'metrics': e.pop('metrics'), **e}
    with open(mpath + '.tmp', 'w') as f:
        json.dump(man, f, indent=2)
        f.write('\n')
    os.replace(mpath + '.tmp', mpath)


if __name__ == '__main__':
    main()
