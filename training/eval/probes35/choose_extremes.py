"""Session 35: per-photo luma choice at C = 1, 2, 4 by the luma search's score, with a penalty on new extremes.
Reads low_c_extremes.ts's JSON lines; prints per C the mean metrics of each fixed candidate and of the choices by
score - w x (dark + bright) for several w, against the fixed rule (F = 1, offset 0).
Usage: /usr/bin/python3 training/eval/probes35/choose_extremes.py OUT.jsonl [W ...]"""
import json, sys
from collections import defaultdict

FIXED = (1, 0)
rows = [json.loads(l) for l in open(sys.argv[1])]
ws = [float(x) for x in sys.argv[2:]] or [0.0, 0.005, 0.01, 0.02, 0.05]
by = defaultdict(dict)
for r in rows:
    r['extremes'] = r['dark'] + r['bright']
    by[(r['c'], r['photo'])][(r['lumaFactor'], r['chromaOffset'])] = r
def score(r): return r['msssim'] - 0.01 * r['ciede2000'] - 0.2 * r['lpips']
keys = ['msssim', 'ciede2000', 'lpips', 'extremes', 'dark', 'bright']
def mean(rs, k): return sum(r[k] for r in rs) / len(rs)
for c in sorted({k[0] for k in by}):
    photos = sorted(p for (cc, p) in by if cc == c)
    base = [by[(c, p)][FIXED] for p in photos]
    print(f"C = {c} ({len(photos)} photos)")
    for cand in sorted(by[(c, photos[0])]):
        rs = [by[(c, p)][cand] for p in photos]
        print(f"  fixed {str(cand):10s} " + ' '.join(f"{k} {mean(rs, k):.4f}" for k in keys))
    for w in ws:
        pick = [max((r for r in by[(c, p)].values() if r['fits']), key=lambda r: score(r) - w * r['extremes']) for p in photos]
        d = {k: mean(pick, k) - mean(base, k) for k in keys}
        chosen = ' '.join(f"{p[:10]}:{r['lumaFactor']}/{r['chromaOffset']}" for p, r in zip(photos, pick))
        print(f"  w {w:<6} " + ' '.join(f"d{k} {d[k]:+.4f}" for k in keys))
        print(f"           {chosen}")
