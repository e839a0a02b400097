"""Session 38: re-scores training/eval/probes37/low_c_colour.ts's JSON lines (every low-C luma candidate of each photo,
packed at one C and decoded) with other candidate sets and score weights, as the sender's search would pick; prints the
means against the fixed plane (1, 0) and the picks, then each photo's pick under search-from-c4's own weights.
Usage: /usr/bin/python3 training/eval/probes38/rescore_low_c.py OUT.jsonl"""
import collections
import json
import sys

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
by = collections.defaultdict(dict)
for r in rows:
    by[r['photo']][(r['lumaFactor'], r['chromaOffset'])] = r
KEYS = ['msssim', 'ciede2000', 'lpips', 'chromaLoss']


def pick(rs, cands, colour, lpips, colourful):
    """The fixed plane first (it wins ties), then the others; a packet over its target never wins."""
    best = None
    for c in [(1, 0)] + [c for c in cands if c != (1, 0)]:
        r = rs[c]
        score = r['msssim'] - colour * r['ciede2000'] - lpips * r['lpips'] - colourful * r['chromaLoss']
        if r['fits'] and (best is None or score > best[0]):
            best = (score, c)
    return best[1]


LOW = [(1, 0), (2, 0), (2, -4)]
VARIANTS = [(LOW, 0.02, 0.2, 0.01), (LOW, 0.02, 0.3, 0.01), (LOW, 0.03, 0.2, 0.01), (LOW, 0.02, 0.2, 0.02),
            (LOW + [(2, -8)], 0.02, 0.2, 0.01), ([(1, 0), (2, -4)], 0.02, 0.2, 0.01), ([(1, 0), (2, 0)], 0.02, 0.2, 0.01)]
print('candidates | colour lpips colourful | ' + ' '.join(f'd{k}' for k in KEYS) + ' | picks')
for cands, wc, wl, wf in VARIANTS:
    d = collections.Counter()
    picks = collections.Counter()
    for rs in by.values():
        c = pick(rs, cands, wc, wl, wf)
        picks[c] += 1
        for k in KEYS:
            d[k] += (rs[c][k] - rs[(1, 0)][k]) / len(by)
    print(f'{cands} | {wc} {wl} {wf} | ' + ' '.join(f'{d[k]:+.4f}' for k in KEYS) + f' | {dict(picks)}')
print()
for photo, rs in sorted(by.items()):
    c = pick(rs, LOW, 0.02, 0.2, 0.01)
    r, b = rs[c], rs[(1, 0)]
    print(f"{photo[:32]:32s} {c} MS-SSIM {r['msssim'] - b['msssim']:+.4f} dE00 {r['ciede2000'] - b['ciede2000']:+.2f} LPIPS {r['lpips'] - b['lpips']:+.4f}")
