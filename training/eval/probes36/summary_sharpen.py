# Means over photos per C and variant of sharpen.ts's lines, and each variant minus 'none'.
# Usage: /usr/bin/python3 training/eval/probes36/summary_sharpen.py OUT.jsonl
import json, sys
from collections import defaultdict
rows = [json.loads(l) for l in open(sys.argv[1])]
g = defaultdict(dict)
for r in rows:
    g[(r['c'], r['variant'])][r['photo']] = r
print('C  variant   n  MS-SSIM  dMS-SSIM  dE00   d     LPIPS  d       block  d')
for (c, v) in sorted(g):
    base = g[(c, 'none')]
    ph = [p for p in g[(c, v)] if p in base]
    m = lambda k, d: sum(d[p][k] for p in ph) / len(ph)
    cur = g[(c, v)]
    print(f'{c:<2} {v:<9} {len(ph):>2} {m("msssim",cur):.4f} {m("msssim",cur)-m("msssim",base):+.4f} {m("ciede2000",cur):6.3f} {m("ciede2000",cur)-m("ciede2000",base):+.3f} {m("lpips",cur):.4f} {m("lpips",cur)-m("lpips",base):+.4f} {m("blockiness",cur):.3f} {m("blockiness",cur)-m("blockiness",base):+.3f}')
