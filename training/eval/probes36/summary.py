# Means over photos per C, candidate and variant of guided_chroma.ts's lines, and each variant minus 'none'.
# Usage: /usr/bin/python3 training/eval/probes36/summary.py OUT.jsonl
import json, sys
from collections import defaultdict
rows = [json.loads(l) for l in open(sys.argv[1])]
groups = defaultdict(list)
for r in rows:
    groups[(r['c'], r['lumaFactor'], r['chromaOffset'], r['variant'])].append(r)
keys = ['bytes', 'msssim', 'ciede2000', 'lpips', 'blockiness']
mean = lambda rs, k: sum(r[k] for r in rs) / len(rs)
print('C  F off variant   n   bytes  MS-SSIM  dE00   LPIPS  block | dE00-none LPIPS-none')
for key in sorted(groups):
    rs = groups[key]
    base = groups[key[:3] + ('none',)]
    m = [mean(rs, k) for k in keys]
    print(f'{key[0]:<2} {key[1]} {key[2]:>3} {key[3]:<9} {len(rs):>2} {m[0]:6.0f} {m[1]:.4f} {m[2]:6.3f} {m[3]:.4f} {m[4]:.3f} | {m[2]-mean(base,"ciede2000"):+.3f} {m[3]-mean(base,"lpips"):+.4f}')
