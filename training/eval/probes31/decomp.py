import sys, glob, os, numpy as np
from guided import *
def with_chroma_thumb(dec, orig, s=S, guide=False):
    H, W = dec.shape[:2]; d = pad16(dec); o = pad16(orig)
    a = d @ M.T; b = o @ M.T
    for p in (1,2):
        C = a[...,p]; Ct = winavg(b[...,p], s)
        a[...,p] = C + up(Ct - winavg(C, s), s)
    a = np.clip(a @ Minv.T, 0, 1)[:H,:W]
    return guided(a, 5, 1e-4, 'full') if guide else a
rows=[]
for f in sorted(glob.glob(sys.argv[2]+'/*.png')):
    n = os.path.splitext(os.path.basename(f))[0]
    x, d = load(glob.glob(sys.argv[1]+'/'+n+'.*')[0]), load(f)
    r = [de(d,x), de(with_chroma_thumb(d,x),x), de(with_chroma_thumb(d,x,guide=True),x), de(with_chroma_thumb(d,x,8),x), de(with_chroma_thumb(d,x,4),x), de(oracle(d,x),x)]
    rows.append(r)
print('dec, exact-1/16-thumb, +guided, exact-1/8, exact-1/4, oracle')
print('MEAN', ' '.join('%.3f'%v for v in np.mean(rows,0)))
