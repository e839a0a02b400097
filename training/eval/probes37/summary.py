"""Means per C and variant of a probe's JSON lines (iterated_projection.ts; probes41/consistent_bins.ts), and each
variant minus a base variant (argv[2]; default y1, the one-pass station)."""
import json
import sys
from collections import defaultdict

rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
keys = ['msssim', 'psnr', 'ciede2000', 'lpips', 'blockiness', 'falseTexture']
by = defaultdict(list)
for r in rows:
    by[(r['c'], r['variant'])].append(r)
BASE = sys.argv[2] if len(sys.argv) > 2 else 'y1'
base = {(r['photo'], r['c']): r for r in rows if r['variant'] == BASE}
print('C variant n ' + ' '.join(keys) + ' | d(msssim) d(lpips) d(de00) d(falseTexture median)')
for (c, v), rs in sorted(by.items(), key=lambda kv: (kv[0][0], kv[0][1])):
    mean = {k: sum(r[k] for r in rs) / len(rs) for k in keys}
    d = {k: sum(r[k] - base[(r['photo'], c)][k] for r in rs) / len(rs) for k in keys}
    ft = sorted(r['falseTexture'] - base[(r['photo'], c)]['falseTexture'] for r in rs)[len(rs) // 2]
    factors = sorted({r['factor'] for r in rs})
    print(f"{c:2d} {v:8s} {len(rs):2d} F{factors} " + ' '.join(f"{mean[k]:.4f}" for k in keys) + f" | {d['msssim']:+.4f} {d['lpips']:+.4f} {d['ciede2000']:+.3f} {ft:+.4f}")
