"""Session 34: per-photo choice of set 28's luma factor and chroma offset, from luma_choice.ts's JSON lines.
Prints, per C, the mean metrics of each fixed candidate and of per-photo choices by several criteria.
Usage: /usr/bin/python3 training/eval/probes34/choose.py OUT.jsonl [LAMBDA ...]"""
import json, sys
from collections import defaultdict

DEFAULT = {1: (1, 0), 2: (1, 0), 4: (1, 0), 8: (4, -8), 16: (4, -6)}
rows = [json.loads(l) for l in open(sys.argv[1])]
lams = [float(x) for x in sys.argv[2:]] or [0.0, 0.005, 0.01, 0.02]
by = defaultdict(dict)
for r in rows:
    by[(r['c'], r['photo'])][(r['lumaFactor'], r['chromaOffset'])] = r
keys = ['msssim', 'ciede2000', 'lpips', 'psnr', 'bytes']
def mean(rs, k): return sum(r[k] for r in rs) / len(rs)
def line(name, rs, base):
    d = [a['msssim'] - b['msssim'] for a, b in zip(rs, base)]
    return f"  {name:28s} " + ' '.join(f"{k} {mean(rs, k):.4f}" for k in keys) + f"  dMS {sum(d)/len(d):+.4f} (won {sum(x > 0 for x in d)}/{len(d)})"
for c in sorted({k[0] for k in by}):
    photos = sorted(p for (cc, p) in by if cc == c)
    cands = sorted(by[(c, photos[0])])
    base = [by[(c, p)][DEFAULT[c]] for p in photos]
    print(f"C = {c} ({len(photos)} photos)")
    for cand in cands:
        print(line(f"fixed {cand}", [by[(c, p)][cand] for p in photos], base))
    for lam in lams:
        pick = [max(by[(c, p)].values(), key=lambda r: r['msssim'] - lam * r['ciede2000']) for p in photos]
        print(line(f"MS-SSIM - {lam} dE", pick, base))
    pick = [max((r for r in by[(c, p)].values() if r['ciede2000'] <= by[(c, p)][DEFAULT[c]]['ciede2000']), key=lambda r: r['msssim']) for p in photos]
    print(line("MS-SSIM, dE <= default", pick, base))
    pick = [max(by[(c, p)].values(), key=lambda r: r['psnr']) for p in photos]
    print(line("PSNR", pick, base))
