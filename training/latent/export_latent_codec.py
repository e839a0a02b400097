"""Export model set 3, 4 or 5 (train_latent_codec.py's EMA weights; the config's model_id) to ONNX: g_a_vN, decoder_vN,
caption_encoder_vN; check each against PyTorch in onnxruntime-node (onnx_check.ts), and write their manifest entries
and the "modelSets" table (read-modify-write: every other entry is kept, so the other sets stay installed beside it).
Usage: /usr/bin/python3 training/latent/export_latent_codec.py --config v3_cpu [--checkpoint path] [--out resources/models] [--metrics m.json] [--make-default]"""
import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # training/
import sys_path  # noqa: E402,F401  training/'s parts on sys.path (training/README.md, Imports)

import common
from export_onnx import OPSET, TOL, export, sha256, tensor_json
from latent_codec import DETAIL_CHANNELS, LATENT_CHANNELS, detail_gain, has_luma_detail, LATENT_SCALE, MOSAIC_LAYOUTS, fixed_channels, noise_channels
from train_latent_codec import CKPT, build, load_ema
from wire_training import step_table, thumbnail_norm, uses_colour_wire


# the encoder's step list for a mosaic set: src/core/codec/quantize.ts QUANT_STEPS up to 32, then every short-form
# wire step (1, 3, 5 or 7 x 2^e, docs/bitstream.md 3) up to 512, ratio <= 1.25: with steps 1.33-1.5x apart a packet
# used about 80 % of its bit target on average (10 training photos, set 5)
WIRE_STEPS_MOSAIC = [1, 1.5, 2, 3, 4, 6, 8, 12, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 448, 512]


def model_ids(set_id):
    return {'g_a': f'g_a_v{set_id}', 'decoder': f'decoder_v{set_id}', 'caption_encoder': f'caption_encoder_v{set_id}'}


def set_model_ids(full):
    """role -> model id of the set a config exports. A decoder-only config (networks_of N, train_only ['decoder']: set 24)
    runs set N's g_a and caption encoder and exports its own decoder alone."""
    ids = model_ids(full['model_id'])
    base = full['latent_codec'].get('networks_of')
    return {**model_ids(base), 'decoder': ids['decoder']} if base is not None else ids


def exported_ids(full):
    """The model ids a config's export writes: its decoder alone for a decoder-only config, else all three."""
    roles = ['decoder'] if full['latent_codec'].get('networks_of') is not None else ['g_a', 'decoder', 'caption_encoder']
    ids = set_model_ids(full)
    return [ids[r] for r in roles]


def trained_steps(cfg):
    """The packet steps the decoder saw in training: quant_steps, or the steps of a colour_wire config's step_table."""
    if 'quant_steps' in cfg:
        return cfg['quant_steps']
    return sorted({float(p[0]) for pairs in step_table(cfg).values() for p in pairs})


def set_entry(cfg, set_id):
    """The manifest's modelSets entry: sets 4 and 5 always send their colour mosaic (channel 0) and predict their
    fixed channels on the wire (docs/bitstream.md 6.1; set 5's empty mosaic cells are not carried, 6.2)."""
    e = {'kind': 'learned-generative', 'models': model_ids(set_id)}
    if cfg.get('colour_layout') in MOSAIC_LAYOUTS:
        e['alwaysSend'] = [0]
        e['colourLayout'] = {'layout': cfg['colour_layout'], 'mosaic': 0, 'thumbnails': [1, 2, 3], 'gain': cfg['colour_gain'],
                             **({'lumaRatio': cfg['luma_ratio']} if 'luma_ratio' in cfg else {}),
                             **({'lumaDetail': list(range(LATENT_CHANNELS - DETAIL_CHANNELS, LATENT_CHANNELS)), 'detailGain': detail_gain(cfg)} if has_luma_detail(cfg) else {})}
    return e

def wire_entry(cfg, sets, g_a):
    """A decoder-only set's borrowed networks (networksOf) and, for colour_wire 'wavelet' (set 24), set 22's wire: its
    step list and its station's last step, whose normalisation is g_a's (thumbnail_norm; export writes it from there)."""
    base = cfg.get('networks_of')
    if base is None:
        return {}
    e = {'networksOf': int(base)}
    if uses_colour_wire(cfg):
        wire = sets[str(cfg['wire_of'])]
        scale, offset = thumbnail_norm(cfg, g_a)
        e.update({'wire': wire['wire'], 'wireQuantSteps': wire['wireQuantSteps'],
                  'consistentThumbnail': {'scale': [round(float(v), 4) for v in scale], 'offset': [round(float(v), 5) for v in offset], 'planes': [0, 1, 2]}})
    return e


SET_1 = {'kind': 'dct-flow', 'models': {k: k for k in ('g_a', 'g_s', 'generator', 'generator_prior', 'caption_encoder')}}


def io(names, shapes, types=None):
    return [{'name': n, 'shape': s, 'type': (types or {}).get(n, 'float32')} for n, s in zip(names, shapes)]


def decoder_inputs(cfg):
    """The decoder's inputs, (name, shape) in call order: set 29's (luma_plane_input) takes the luma plane's detail last."""
    ins = [('y_sel', ['n', LATENT_CHANNELS, 'h', 'w']), ('mask', ['n', LATENT_CHANNELS]), ('caption', ['n', cfg['caption_dim']]), ('log_step', ['n']),
           ('noise', ['n', noise_channels(cfg), 'h', 'w'])]
    return ins + ([('luma_detail', ['n', 1, '4h', '4w'])] if cfg.get('luma_plane_input') else [])


def check_specs(nets, cfg, IDS):
    """Per model id: (network, example inputs, input names, output names, dynamic axes) for export and for the check."""
    torch.manual_seed(0)
    h, w = 4, 6
    x = torch.rand(1, 3, 16 * h, 16 * w)
    mask = torch.zeros(1, LATENT_CHANNELS)
    mask[0, [0, 5, 77, 300]] = 1
    y_sel = torch.round(torch.randn(1, LATENT_CHANNELS, h, w) * 16 / 24) * 24 * mask.view(1, -1, 1, 1)
    cap = torch.randn(1, cfg['caption_dim'])
    log_step = torch.tensor([4.585])
    noise = torch.randn(1, noise_channels(cfg), h, w)
    L = 64
    tok = torch.zeros(1, L, dtype=torch.long)
    tok[0, :5] = torch.tensor([2, 7, 1, 30, 4])
    tmask = (tok > 0).float()
    hw = {0: 'n', 2: 'h', 3: 'w'}
    dec_args, dec_ins, dec_dyn = (y_sel, mask, cap, log_step, noise), [name for name, _ in decoder_inputs(cfg)], {'y_sel': hw, 'mask': {0: 'n'}, 'caption': {0: 'n'}, 'log_step': {0: 'n'}, 'noise': hw}
    if cfg.get('luma_plane_input'):  # set 29: the luma plane's detail at 1/4 scale (g_a's Y units, a few steps' spread)
        dec_args, dec_dyn = dec_args + (torch.randn(1, 1, 4 * h, 4 * w) * 200,), {**dec_dyn, 'luma_detail': {0: 'n', 2: 'h4', 3: 'w4'}}
    return {
        IDS['g_a']: (nets['g_a'], (x,), ['image'], ['latent'], {'image': {0: 'n', 2: 'H', 3: 'W'}, 'latent': hw}),
        IDS['decoder']: (nets['decoder'], dec_args, dec_ins, ['image'], {**dec_dyn, 'image': {0: 'n', 2: 'H', 3: 'W'}}),
        IDS['caption_encoder']: (nets['caption'], (tok, tmask), ['tokens', 'mask'], ['embedding'],
                                 {'tokens': {0: 'n', 1: 'L'}, 'mask': {0: 'n', 1: 'L'}, 'embedding': {0: 'n'}}),
    }


def onnx_check(nets, cfg, IDS, files):
    """The ONNX files (per model id) against the PyTorch networks on check_specs' inputs, in onnxruntime-node
    (onnx_check.ts): exits with one line when any differs beyond TOL; returns the differences."""
    cases = {}
    with torch.no_grad():
        for mid, (model, args, ins, outs, _) in check_specs(nets, cfg, IDS).items():
            if mid not in files:
                continue
            cases[mid] = {'file': files[mid], 'inputs': {k: tensor_json(v) for k, v in zip(ins, args)}, 'outputs': {outs[0]: tensor_json(model(*args))}}
    with tempfile.NamedTemporaryFile('w', suffix='.json', delete=False) as f:
        json.dump(cases, f)
        case_path = f.name
    res = subprocess.run(['npx', 'tsx', os.path.join(common.TRAINING_DIR, 'onnx_check.ts'), case_path], cwd=common.REPO_ROOT, capture_output=True, text=True)
    os.unlink(case_path)
    if res.returncode != 0:
        sys.exit(f'onnx check failed:\n{res.stdout}\n{res.stderr}')
    diffs = json.loads(res.stdout)
    print('onnxruntime vs pytorch:', json.dumps(diffs), flush=True)
    bad = {k: v for k, v in diffs.items() if v['relMaxAbsDiff'] > TOL}
    if bad:
        sys.exit(f'ONNX outputs differ from PyTorch beyond {TOL}: {bad}')
    return diffs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--config', default='v3_cpu')
    ap.add_argument('--checkpoint')
    ap.add_argument('--out', default=common.MODELS_DIR)
    ap.add_argument('--metrics', help='JSON file of evaluation numbers to record in the decoder entry')
    ap.add_argument('--colour-gain', type=float, help="export with this colour gain instead of the config's (set 4: how much finer "
                    "than the learned channels the colour channels are quantised; the networks are the same, the wire's steps change meaning)")
    ap.add_argument('--make-default', action='store_true', help='make this set the encoder default (only after it passes its ship rule)')
    ap.add_argument('--replace', action='store_true', help='overwrite an installed set trained otherwise (only when no packet made with it '
                    'may exist: its id stays, so such packets would decode with the new weights)')
    a = ap.parse_args()
    full = common.load_config(a.config)
    cfg = full['latent_codec']
    trained_gain = cfg.get('colour_gain', 1.0)
    if a.colour_gain:
        cfg = dict(cfg, colour_gain=a.colour_gain, trained_colour_gain=trained_gain)
        full = dict(full, latent_codec=cfg)
    IDS = set_model_ids(full)
    torch.set_num_threads(int(full.get('threads', 2)))
    path = a.checkpoint or os.path.join(common.run_dir(full), CKPT)
    ck = torch.load(path, map_location='cpu')
    refuse_to_replace(a.out, full, ck, a.replace)
    nets = load_ema(cfg, ck)
    if a.colour_gain:  # the gain is a constant of g_a and the decoder, not a weight
        nets['g_a'].gain = nets['decoder'].gain = float(a.colour_gain)
    out = os.path.abspath(a.out)
    own = exported_ids(full)
    files = {mid: os.path.join(out, mid + '.onnx') for mid in own}
    specs = {mid: spec for mid, spec in check_specs(nets, cfg, IDS).items() if mid in own}
    with torch.no_grad():
        for mid, (model, args, ins, outs, dyn) in specs.items():
            export(model, args, ins, outs, dyn, files[mid])
    diffs = onnx_check(nets, cfg, IDS, files)
    metrics = None
    if a.metrics:
        with open(a.metrics) as f:
            metrics = json.load(f)
    write_manifest(out, full, ck, diffs, metrics, os.path.relpath(path, common.REPO_ROOT), nets['g_a'], a.make_default)
    print(f"exported set {full['model_id']} to", out, flush=True)


def refuse_to_replace(out, full, ck, replace):
    """A packet names its model set by id, and the station decodes it with whatever that id holds: exporting other
    weights under an installed set's id would decode that set's old packets with the wrong model (issue 16, point 5).
    So an installed set trained by another config or to another step count is kept unless --replace is given."""
    try:
        with open(os.path.join(out, 'manifest.json')) as f:
            man = json.load(f)
    except FileNotFoundError:
        return
    set_id = str(full['model_id'])
    ga = man.get('models', {}).get(exported_ids(full)[0])
    if set_id not in man.get('modelSets', {}) or ga is None or replace:
        return
    if (ga.get('config'), ga.get('steps')) != (full['name'], ck['step']):
        sys.exit(f"export: model set {set_id} is installed in {out} from {ga.get('config')} at step {ga.get('steps')}; this checkpoint is "
                 f"{full['name']} at step {ck['step']}. Packets made with set {set_id} would decode with the new weights: give the "
                 f"config a new model_id (with its rows in src/core/bitstream/latentPrediction.ts), export to another --out to "
                 f"evaluate, or pass --replace if no packet of set {set_id} can exist")


def write_manifest(out, full, ck, diffs, metrics, ckpt_rel, g_a, make_default=False):
    """g_a: the exported networks' (eval mode), whose frozen normalisation a colour_wire set's entry records."""
    cfg = full['latent_codec']
    set_id = str(full['model_id'])
    IDS = set_model_ids(full)
    mpath = os.path.join(out, 'manifest.json')
    with open(mpath) as f:
        man = json.load(f)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')
    hardware = ck.get('hardware') or common.hardware_string(torch.device('cpu'))
    common_fields = {
        'trainingData': '../shared/data/train (1,570 photos of 1,580 with a short side >= 128: BSDS500, Sun-Hays 80, ImageNet samples 1 and 2; '
                        '1,076 with a caption from our built-in captioner; research/non-commercial terms, see its README)',
        'steps': ck['step'], 'hardware': hardware, 'config': full['name'], 'modelSet': int(set_id),
        'license': 'MIT (weights trained by this project); training images are research-use only',
    }
    nets = build(cfg)
    nets['preview'].load_state_dict(ck['ema']['preview'])
    patterns = nets['preview'].patterns().reshape(LATENT_CHANNELS, 3, 16).clone()
    # the preview was trained on y with the fixed channels' colour gain taken out: fold 1/gain into their patterns,
    # so the station scores the wire's values with the same rule for every set
    patterns[:fixed_channels(cfg)] /= float(cfg.get('colour_gain', 1.0))
    if has_luma_detail(cfg):
        patterns[-DETAIL_CHANNELS:] /= detail_gain(cfg)
    # (a decoder-only set writes only its decoder's entry: the others' notes are built and dropped, so no diff for them)
    note = lambda mid: f"config training/configs/{full['name']}.json, checkpoint {ckpt_rel} (EMA) at step {ck['step']}; exported {stamp}, opset {OPSET}; onnxruntime vs PyTorch max abs diff {diffs.get(mid, {}).get('maxAbsDiff', float('nan')):.3g}."
    entries = {
        IDS['g_a']: {
            'stage': 'analysis', 'inputs': io(['image'], [['n', 3, 'H', 'W']]), 'outputs': io(['latent'], [['n', LATENT_CHANNELS, 'h', 'w']]),
            'latent': {'scale': LATENT_SCALE, 'rule': 'ssim-gain-preview',
                       'patterns': [[[round(float(v), 7) for v in patterns[k, p]] for p in range(3)] for k in range(LATENT_CHANNELS)]},
            'notes': 'image RGB 0..1, H and W multiples of 16 -> latent (per-channel std ~16: batch-normalised, times 16). ' + note(IDS['g_a']),
        },
        IDS['decoder']: {
            'stage': 'generator', 'modelId': int(set_id), 'noiseChannels': noise_channels(cfg), 'trainedQuantSteps': trained_steps(cfg),
            'inputs': io(*zip(*decoder_inputs(cfg))),
            'outputs': io(['image'], [['n', 3, 'H', 'W']]),
            **({'colourGain': cfg['colour_gain'], 'trainedColourGain': cfg['trained_colour_gain']} if 'trained_colour_gain' in cfg else {}),
            'training': {k: cfg[k] for k in ('l1', 'msssim', 'colour', 'lpips', 'adversarial', 'adv_start', 'c_choices', 'c_probs', 'rule_share', 'crop', 'batch',
                                             'detector', 'colour_wire', 'wire_of', 'luma_plane_input', 'train_only') if k in cfg},
            'metrics': metrics or {'status': 'not yet evaluated'},
            # set 4: colour channels 8x finer, so the encoder's step rule needs steps past 128 to fit C = 1's bit target
            **({'wireQuantSteps': WIRE_STEPS_MOSAIC} if cfg.get('colour_layout') in MOSAIC_LAYOUTS else {}),
            'notes': f'y_sel = dequantised transmitted channels (0 elsewhere), mask 1 = transmitted, caption = {IDS["caption_encoder"]} embedding '
                     '(zeros for no caption), log_step = log2(quantisation step), noise = N(0,1) from the packet seed -> image RGB '
                     '(clamp to 0..1). One pass, no flow. ' + ('luma_detail = the luma plane at 1/4 scale minus the Y thumbnail drawn there '
                     '(src/core/codec/fineLuma.ts lumaDetail; zeros for a packet without a finer plane). ' if cfg.get('luma_plane_input') else '') + note(IDS['decoder']),
        },
        IDS['caption_encoder']: {
            'stage': 'caption-encoder', 'vocab': 'caption_vocab.json', 'maxTokens': 64,
            'inputs': io(['tokens', 'mask'], [['n', 'L'], ['n', 'L']], {'tokens': 'int64'}), 'outputs': io(['embedding'], [['n', cfg['caption_dim']]]),
            'notes': f'trained jointly with {IDS["decoder"]}; same tokenizer and vocabulary as set 1. ' + note(IDS['caption_encoder']),
        },
    }
    for mid, e in entries.items():
        if mid not in diffs:  # only what this export wrote (and checked)
            continue
        f = os.path.join(out, mid + '.onnx')
        man['models'][mid] = {'file': mid + '.onnx', 'sha256': sha256(f), 'bytes': os.path.getsize(f), **common_fields, **e}
    sets = man.get('modelSets') or {'1': SET_1}
    sets[set_id] = {**set_entry(cfg, set_id), 'models': IDS, **wire_entry(cfg, sets, g_a)}
    man['modelSets'] = sets
    if make_default:
        man['defaultModelSet'] = int(set_id)
    else:
        man.setdefault('defaultModelSet', 1)
    with open(mpath, 'w') as f:
        json.dump(man, f, indent=2)
        f.write('\n')


if __name__ == '__main__':
    main()
