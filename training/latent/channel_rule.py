"""The channel-selection rule of model set 3 ('ssim-gain-preview'), batched in PyTorch; the station's twin is
scoreChannelPatterns in src/core/codec/channelSelection.ts (the two must agree).

The paper keeps the C channels that best explain the image's structure by SSIM. Set 1 scored each DCT channel by
how much its basis pattern alone raised the SSIM of its colour plane. A learned channel has no basis image, so set
3 learns one: the preview (latent_codec.Preview), a linear map from the latent to the image's 4x4-pixel YCbCr
means. Channel k's candidate in plane p is the plane's mean level plus y_k / 16 times its preview pattern in every
16x16 cell (minus the pattern's image mean); its score is the SSIM gain of that candidate over the flat plane,
summed over Y, Cb and Cr. SSIM is computed on 4x4 means in windows of 2x2 cells, stride one cell, C1 = 0.01^2,
C2 = 0.03^2, population statistics (exactly the statistics of set 1's rule)."""
import torch
import torch.nn.functional as F

from latent_codec import LATENT_SCALE, PREVIEW, ycc_planes

C1, C2 = 0.01 ** 2, 0.03 ** 2


def _win(a):
    """Sums over 2x2 windows of cells, stride 1 (one cell where the grid has one row or column). a [..., h, w]."""
    h, w = a.shape[-2:]
    if h > 1:
        a = a[..., 1:, :] + a[..., :-1, :]
    if w > 1:
        a = a[..., :, 1:] + a[..., :, :-1]
    return a


def _ssim(sx, sxx, sy, syy, sxy, n):
    mx, my = sx / n, sy / n
    vx, vy = sxx / n - mx * mx, syy / n - my * my
    cov = sxy / n - mx * my
    return (((2 * mx * my + C1) * (2 * cov + C2)) / ((mx * mx + my * my + C1) * (vx + vy + C2))).mean(dim=(-2, -1))


@torch.no_grad()
def channel_scores(y, rgb, patterns):
    """y [B,K,h,w] (g_a output), rgb [B,3,16h,16w] in [0,1], patterns [K,3,16] -> scores [B,K] (float64)."""
    B, K, h, w = y.shape
    s = F.avg_pool2d(ycc_planes(rgb.double()), 4)  # [B,3,4h,4w]
    # cell-major samples: [B,3,h,w,16]
    cells = s.reshape(B, 3, h, PREVIEW, w, PREVIEW).permute(0, 1, 2, 4, 3, 5).reshape(B, 3, h, w, PREVIEW * PREVIEW)
    a = y.double() / LATENT_SCALE  # [B,K,h,w]
    P = patterns.double()  # [K,3,16]
    S = PREVIEW * PREVIEW
    nsamp = S * min(2, h) * min(2, w)
    nb = h * w
    total = torch.zeros(B, K, dtype=torch.float64, device=y.device)
    for p in range(3):
        pl = cells[:, p]  # [B,h,w,16]
        r1, r2 = pl.sum(-1), (pl * pl).sum(-1)  # [B,h,w]
        m = r1.sum(dim=(1, 2)) / (nb * S)  # [B]
        S1, S2 = _win(r1), _win(r2)
        mm = m.view(B, 1, 1)
        flat = _ssim(S1, S2, nsamp * mm.expand_as(S1), nsamp * mm * mm * torch.ones_like(S1), mm * S1, nsamp)  # [B]
        pp = P[:, p]  # [K,16]
        psum, psq = pp.sum(-1).view(1, K, 1, 1), (pp * pp).sum(-1).view(1, K, 1, 1)
        proj = torch.einsum('bhwj,kj->bkhw', pl, pp)
        c1, c2, cx = a * psum, a * a * psq, a * proj
        d = (m.view(B, 1) - c1.sum(dim=(2, 3)) / (nb * S)).view(B, K, 1, 1)
        C1s, C2s, CX = _win(c1), _win(c2), _win(cx)
        S1k, S2k = S1.unsqueeze(1), S2.unsqueeze(1)
        cand1 = C1s + nsamp * d
        cand2 = C2s + 2 * d * C1s + nsamp * d * d
        candx = CX + d * S1k
        total += _ssim(S1k, S2k, cand1, cand2, candx, nsamp) - flat.view(B, 1)
    return total


def top_masks(scores, counts):
    """[B,K] 0/1 masks of each row's top counts[b] channels (ties: lower index first)."""
    B, K = scores.shape
    idx = torch.arange(K, device=scores.device, dtype=torch.float64)
    order = torch.argsort(scores - idx * 1e-12, dim=1, descending=True)
    on = (torch.arange(K, device=scores.device).view(1, -1) < counts.view(-1, 1)).float()
    return torch.zeros(B, K, device=scores.device).scatter_(1, order, on)
