"""Excess-detail term: a penalty on fine detail the reconstruction has where the original has less.

Why: with the LPIPS-squeeze term the decoder learns within a few hundred steps to lay a regular grain or coloured
streaks over flat surfaces (sets 6 and 7, docs/bench/latent-codec/ship-rule-set6.md and ship-rule-set7.md): LPIPS
falls, L1 and MS-SSIM do not notice (where the error is already large, zero-mean grain barely changes L1), and the
detector loses the objects. This term sees exactly that: the local high-frequency energy of each Y, Cb, Cr plane
(|plane - its 3x3 mean|, averaged over 8x8 cells), and only where the reconstruction's exceeds the original's. Texture
the original has costs nothing, so the decoder may still generate it; texture the original lacks is charged, and
chroma streaks, which the originals almost never have at full resolution, are charged most."""
import torch.nn.functional as F

from latent_codec import ycc_planes

CELL = 8


def local_detail(rgb):
    """[B,3,H,W] in 0..1 -> [B,3,H/8,W/8]: mean |plane - 3x3 box mean| per 8x8 cell, for Y, Cb, Cr."""
    ycc = ycc_planes(rgb)
    box = F.avg_pool2d(F.pad(ycc, (1, 1, 1, 1), mode='replicate'), 3, stride=1)
    return F.avg_pool2d((ycc - box).abs(), CELL)


def excess_detail(x_hat, x):
    """Mean over cells and planes of max(0, detail(x_hat) - detail(x))."""
    return F.relu(local_detail(x_hat) - local_detail(x.detach())).mean()
