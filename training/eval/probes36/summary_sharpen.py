# Means over photos per C and variant of sharpen.ts's lines, and each variant minus 'none' (false texture: mean and
# median over photos, where the lines have it).
# Usage: /usr/bin/python3 training/eval/probes36/summary_sharpen.py OUT.jsonl
import json, sys, statistics
from collections import defaultdict
rows = [json.loads(l) for l in open(sys.argv[1])]
g = defaultdict(dict)
for r in rows:
    g[(r['c'], r['variant'])][r['photo']] = r
print('C  variant      n  MS-SSIM  dMS-SSIM  dE00   d     LPIPS  d       block  d       falseTex mean / median')
for (c, v) in sorted(g):
    base = g[(c, 'none')]
    cur = g[(c, v)]
    ph = [p for p in cur if p in base]
    m = lambda k, d: sum(d[p][k] for p in ph) / len(ph)
    ft = ''
    if 'falseTexture' in cur[ph[0]]:
        ft = f' {m("falseTexture",cur):7.3f} / {statistics.median(cur[p]["falseTexture"] for p in ph):.3f}'
    print(f'{c:<2} {v:<12} {len(ph):>2} {m("msssim",cur):.4f} {m("msssim",cur)-m("msssim",base):+.4f} {m("ciede2000",cur):6.3f} {m("ciede2000",cur)-m("ciede2000",base):+.3f} {m("lpips",cur):.4f} {m("lpips",cur)-m("lpips",base):+.4f} {m("blockiness",cur):.3f} {m("blockiness",cur)-m("blockiness",base):+.3f}{ft}')
