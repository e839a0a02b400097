"""Markdown table of a training/eval/eval_conditions.ts result (the model card's generator tables come from here).
Usage: python3 training/eval/metrics_table.py training/runs/cpu/metrics_conditions.json"""
import json
import sys


def main(path):
    with open(path) as f:
        d = json.load(f)
    hold = f", frequencies u+v < {d['holdBelowFrequency']} held on the prior" if d.get('holdBelowFrequency') else ''
    print(f"{d['dataset']}; temperature {d['temperature']}, {d['steps']} steps{hold}; {d['machine'].get('cpu', '')}, {d['seconds']} s\n")
    prior = 'prior' in next(iter(d['perC'].values()))
    extra = ' prior MS-SSIM | prior F1 |' if prior else ''
    print(f'| C | mean packet bits | generator MS-SSIM | generator F1 |{extra} mean-fill MS-SSIM | mean-fill F1 | bicubic MS-SSIM | bicubic F1 | generator beats bicubic (MS-SSIM / F1) |')
    print('|---' * (9 + 2 * prior) + '|')
    for c, r in d['perC'].items():
        g, m, b = r['generator'], r['meanFill'], r['bicubic']
        beats = f"{'yes' if g['msssim'] > b['msssim'] else 'no'} / {'yes' if g['f1'] > b['f1'] else ('tie' if g['f1'] == b['f1'] else 'no')}"
        label = '0 (caption only)' if c == '0' else c
        p = f" {r['prior']['msssim']:.3f} | {r['prior']['f1']:.3f} |" if prior else ''
        print(f"| {label} | {r['meanBits']} | {g['msssim']:.3f} | {g['f1']:.3f} |{p} {m['msssim']:.3f} | {m['f1']:.3f} | {b['msssim']:.3f} | {b['f1']:.3f} | {beats} |")
    if 'pooledF1' in g:
        pooled_table(d)
        print('\n' + choice_summary(d))


def pooled_table(d):
    """Pooled F1 (counts summed over the set) with the matches behind it: at these rates they are few."""
    kinds = [k for k in ('generator', 'prior', 'meanFill', 'bicubic') if k in next(iter(d['perC'].values()))]
    print(f"\nPooled detection F1 ({sum(d['referenceDetections'])} detections on the originals); matched / found on the reconstruction\n")
    print('| C | ' + ' | '.join(kinds) + ' |')
    print('|---' * (len(kinds) + 1) + '|')
    for c, r in d['perC'].items():
        cells = []
        for k in kinds:
            mf = d['perImage'][c][k]['matchedFound']
            cells.append(f"{r[k]['pooledF1']:.3f} ({sum(m for m, _ in mf)} / {sum(f for _, f in mf)})")
        print(f"| {'0 (caption only)' if c == '0' else c} | " + ' | '.join(cells) + ' |')

def choice_summary(d):
    """The generator's numbers the sampling and shipping rules (docs/bench/generator/*rule*.md) compare, over C = 1..16."""
    cs = [c for c in d['perC'] if c != '0']
    g = {c: d['perC'][c]['generator'] for c in d['perC']}
    mf = {c: d['perImage'][c]['generator']['matchedFound'] for c in cs}
    matched = [sum(m for m, _ in mf[c]) for c in cs]
    found = [sum(f for _, f in mf[c]) for c in cs]
    mean = lambda k: sum(g[c][k] for c in cs) / len(cs)
    psnr = ', '.join(f"C = {c}: {g[c]['psnr']:.2f} dB" for c in list(d['perC'])[:2])
    return (f"generator over C = {', '.join(cs)}: matched {' / '.join(map(str, matched))} = {sum(matched)}, found "
            f"{' / '.join(map(str, found))}; mean pooled F1 {mean('pooledF1'):.4f}; mean MS-SSIM {mean('msssim'):.4f}; PSNR {psnr}")


if __name__ == '__main__':
    main(sys.argv[1])
