"""Is the generator's lead over bicubic upsampling real or noise? Paired bootstrap over images of a
training/eval/eval_conditions.ts result: the images are resampled with replacement (both methods keep the same
images), and for each C we report the difference generator - bicubic in mean MS-SSIM, mean per-image F1 and
pooled F1 (counts summed over the resampled set), with its 95% percentile interval and the share of resamples in
which the generator is ahead. Ties (equal values) count as half.
--baseline-file B.json compares the generator of RESULT.json with the generator of B.json instead (two models
evaluated on the same images, e.g. a fine-tuning candidate against the shipped model).
Usage: python3 training/eval/paired_bootstrap.py RESULT.json [--against bicubic | --baseline-file B.json] [--resamples 10000] [--json OUT]"""
import argparse
import json

import numpy as np

SEED = 20261125


def pooled_f1(matched, found, reference):
    """F1 of summed counts along the last axis; 0 when nothing was detected on either side (as eval_conditions)."""
    m, f, r = matched.sum(-1), found.sum(-1), reference.sum(-1)
    denom = f + r
    return np.where(denom > 0, 2 * m / np.maximum(denom, 1), 0.0)


def metric_samples(d, c, kind, picks):
    """Resampled [resamples] values of the three metrics for one method at one C."""
    img = d['perImage'][c][kind]
    mf = np.asarray(img['matchedFound'], dtype=float)
    ref = np.asarray(d['referenceDetections'], dtype=float)
    return {
        'msssim': np.asarray(img['msssim'])[picks].mean(-1),
        'f1': np.asarray(img['f1'], dtype=float)[picks].mean(-1),
        'pooledF1': pooled_f1(mf[:, 0][picks], mf[:, 1][picks], ref[picks]),
    }


def point(d, c, kind):
    n = len(d['referenceDetections'])
    return {k: float(v[0]) for k, v in metric_samples(d, c, kind, np.arange(n)[None, :]).items()}


def compare(d, against='bicubic', resamples=10000, baseline=None):
    """baseline: another result on the same images; then `against` is its generator."""
    n = len(d['referenceDetections'])
    other_d, other_kind = d, against
    if baseline is not None:
        if baseline['referenceDetections'] != d['referenceDetections'] or set(baseline['perC']) != set(d['perC']):
            raise SystemExit('paired_bootstrap: the two results are not on the same images and C values')
        other_d, other_kind = baseline, 'generator'
    picks = np.random.default_rng(SEED).integers(0, n, size=(resamples, n))
    out = {}
    for c in d['perC']:
        gen, other = metric_samples(d, c, 'generator', picks), metric_samples(other_d, c, other_kind, picks)
        pg, po = point(d, c, 'generator'), point(other_d, c, other_kind)
        row = {}
        for k in gen:
            diff = gen[k] - other[k]
            lo, hi = np.percentile(diff, [2.5, 97.5])
            ahead = float(np.mean(diff > 0) + 0.5 * np.mean(diff == 0))
            row[k] = {'difference': round(pg[k] - po[k], 4), 'ci95': [round(float(lo), 4), round(float(hi), 4)], 'aheadShare': round(ahead, 3)}
        out[c] = row
    label = f"generator of {baseline.get('label', 'the baseline file')}" if baseline is not None else against
    return {'dataset': d['dataset'], 'against': label, 'resamples': resamples, 'seed': SEED, 'images': n, 'perC': out}


def table(res):
    print(f"{res['dataset']}: generator - {res['against']}, paired bootstrap over images ({res['resamples']} resamples); "
          'difference [95% interval] (share of resamples with the generator ahead)\n')
    print('| C | MS-SSIM | per-image F1 | pooled F1 |')
    print('|---|---|---|---|')
    for c, row in res['perC'].items():
        cells = [f"{r['difference']:+.3f} [{r['ci95'][0]:+.3f}, {r['ci95'][1]:+.3f}] ({r['aheadShare']:.2f})" for r in row.values()]
        print(f"| {'0 (caption only)' if c == '0' else c} | " + ' | '.join(cells) + ' |')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('result')
    ap.add_argument('--against', default='bicubic')
    ap.add_argument('--baseline-file', help='another eval_conditions result on the same images: compare generators')
    ap.add_argument('--resamples', type=int, default=10000)
    ap.add_argument('--json', help='also write the numbers here')
    a = ap.parse_args()
    with open(a.result) as f:
        d = json.load(f)
    baseline = None
    if a.baseline_file:
        with open(a.baseline_file) as f:
            baseline = json.load(f)
        baseline['label'] = a.baseline_file
    res = compare(d, a.against, a.resamples, baseline)
    table(res)
    if a.json:
        with open(a.json, 'w') as f:
            json.dump(res, f, indent=1)
            f.write('\n')


if __name__ == '__main__':
    main()
