# Prototype: chroma detail from luma (guided upsampling of the 1/16 chroma thumbnail by the decoded luma).
import sys, glob, os, numpy as np, torch
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'metrics'))
from perceptual_metrics import colour_error
from PIL import Image
S = 16
M = np.array([[0.299,0.587,0.114],[-0.168736,-0.331264,0.5],[0.5,-0.418688,-0.081312]])
Minv = np.linalg.inv(M)
def hann(s):
    w = np.sin(np.pi*(np.arange(2*s)+0.5)/(2*s))**2; return w/w.sum()
def winavg(p, s=S):
    H, W = p.shape; lh, lw = H//s, W//s; w = hann(s)
    idx = lambda n, N: np.clip(np.arange(n)[:,None]*s - s//2 + np.arange(2*s)[None,:], 0, N-1)
    ix = idx(lw, W); iy = idx(lh, H)
    rows = (p[:, ix] * w).sum(-1)           # H x lw
    return (rows[iy, :] * w[None,:,None]).sum(1)  # lh x lw
def up(d, s=S):
    lh, lw = d.shape
    def taps(n, cells):
        f = np.maximum(0, (np.arange(n)+0.5)/s - 0.5); a = np.minimum(cells-1, np.floor(f).astype(int)); b = np.minimum(cells-1, a+1)
        t = np.where(a == cells-1, 0, f - a); return a, b, t
    ay, by, ty = taps(lh*s, lh); ax, bx, tx = taps(lw*s, lw)
    r = d[ay]*(1-ty[:,None]) + d[by]*ty[:,None]
    return r[:, ax]*(1-tx) + r[:, bx]*tx
def boxn(p, k):  # k x k box mean on the cell grid, edges replicated
    r = k//2; q = np.pad(p, r, mode='edge'); out = np.zeros_like(p)
    for dy in range(k):
        for dx in range(k): out += q[dy:dy+p.shape[0], dx:dx+p.shape[1]]
    return out/(k*k)
def pad16(x):
    H, W = x.shape[:2]; return np.pad(x, ((0,(-H)%S),(0,(-W)%S),(0,0)), mode='edge')
def guided(dec, k=3, eps=1e-4, mode='full', amax=None):
    H, W = dec.shape[:2]; d = pad16(dec)
    ycc = d @ M.T; ycc[...,1:] += 0.5
    Y = ycc[...,0]; Yt = winavg(Y)
    out = ycc.copy()
    for p in (1, 2):
        C = ycc[...,p]; Ct = winavg(C)
        mY, mC = boxn(Yt,k), boxn(Ct,k)
        cov = boxn(Yt*Ct,k) - mY*mC; var = boxn(Yt*Yt,k) - mY*mY
        a = cov/(var+eps)
        if amax is not None: a = np.clip(a, -amax, amax)
        b = mC - a*mY
        A, B = up(boxn(a,k) if mode!='nobox' else a), up(boxn(b,k) if mode!='nobox' else b)
        if mode in ('full','nobox'): Cn = A*Y + B
        elif mode == 'detail': Cn = C + A*(Y - up(Yt))
        Cn = Cn + up(Ct - winavg(Cn))
        out[...,p] = Cn
    out[...,1:] -= 0.5
    rgb = np.clip(out @ Minv.T, 0, 1)
    return rgb[:H,:W]
def oracle(dec, orig):
    a = dec @ M.T; b = orig @ M.T; a[...,1:] = b[...,1:]; return np.clip(a @ Minv.T, 0, 1)
def de(x, y):
    t = lambda z: torch.from_numpy(z.transpose(2,0,1)[None].copy())
    return float(colour_error(t(x), t(y))[0])
def load(f): return np.asarray(Image.open(f).convert('RGB'), dtype=np.float64)/255
if __name__ == '__main__':
    orig_dir, dec_dir = sys.argv[1], sys.argv[2]
    variants = [('full',3,1e-4,None),('full',3,1e-3,None),('full',5,1e-4,None),('detail',3,1e-4,None),('detail',3,1e-3,None),('detail',5,1e-3,None)]
    rows = []
    for f in sorted(glob.glob(dec_dir+'/*.png')):
        n = os.path.splitext(os.path.basename(f))[0]
        of = [g for g in glob.glob(orig_dir+'/'+n+'.*')][0]
        x, d = load(of), load(f)
        r = [de(d, x), de(oracle(d, x), x)] + [de(guided(d, k, e, m, am), x) for m,k,e,am in variants]
        rows.append(r); print(n, ' '.join('%.3f'%v for v in r), flush=True)
    print('MEAN', ' '.join('%.3f'%v for v in np.mean(rows,0)))
    print('cols: dec oracle', variants)
