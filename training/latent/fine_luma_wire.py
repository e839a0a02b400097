"""Set 28's luma plane (docs/bitstream.md 6.4, src/core/codec/fineLuma.ts), simulated for training a decoder on set 28's
wire: the sender's luma through a (32 / factor)-px Hann window at stride 16 / factor in g_a's units, the networks' 1/16
Y thumbnail the station computes from it, and the station's last step moving the decoded luma onto the plane and the
chroma onto its 1/16 thumbnails (consistentThumbnail.ts with a luma factor). Checked against the station by
check_colour_wire.py; the plane's wire coding is colour_wire.code_thumbnails on the plane at the luma step."""
import torch
import torch.nn.functional as F

from latent_codec import FACTOR, RGB2YCC, hann_average, hann_kernel, ycc_planes


def fine_luma(x, factor, scale, offset):
    """x [B,3,H,W] RGB 0..1 -> [B,1,factor H/16,factor W/16]: fineLuma.ts fineLumaPlane (scale, offset: the Y thumbnail's)."""
    s = FACTOR // factor
    return hann_average(ycc_planes(x)[:, :1], hann_kernel(s, 1).to(x), s) * scale + offset


def coarse_luma(plane, factor):
    """[B,1,factor h,factor w] -> [B,1,h,w]: fineLuma.ts coarseLumaThumbnail (bilinear to full size, the 32-px window)."""
    full = F.interpolate(plane, scale_factor=FACTOR // factor, mode='bilinear', align_corners=False)
    return hann_average(full, hann_kernel(FACTOR, 1).to(plane), FACTOR)


def make_consistent_fine(x_hat, plane, chroma, factor, scale, offset):
    """x_hat [B,3,H,W] with its luma's (32 / factor)-px window averages moved onto `plane` [B,1,factor h,factor w] and
    its chroma's 32-px averages onto `chroma` [B,2,h,w] (g_a's units, scale / offset [3]): each difference upsampled
    bilinear to full size and added in YCbCr. Differentiable in x_hat."""
    ycc = ycc_planes(x_hat)
    s = FACTOR // factor
    out = []
    for p, (target, stride) in enumerate([(plane, s), (chroma[:, :1], FACTOR), (chroma[:, 1:], FACTOR)]):
        seen = hann_average(ycc[:, p:p + 1], hann_kernel(stride, 1).to(x_hat), stride)
        wanted = (target - offset[p]) / scale[p]
        out.append(ycc[:, p:p + 1] + F.interpolate(wanted - seen, scale_factor=stride, mode='bilinear', align_corners=False))
    ycc = torch.cat(out, 1) - torch.tensor([0.0, 0.5, 0.5], device=x_hat.device, dtype=x_hat.dtype).view(1, 3, 1, 1)
    return torch.einsum('ij,bjhw->bihw', torch.linalg.inv(RGB2YCC.to(ycc)), ycc)


def luma_detail(plane, thumb_y, factor):
    """[B,1,4h,4w]: what the luma plane [B,1,factor h,factor w] adds to the networks' Y thumbnail thumb_y [B,1,h,w] at
    1/4 scale (the plane drawn there, bilinear, minus the thumbnail drawn there); zeros at factor 1. The decoder input
    of a luma_plane_input config (set 29), as fineLuma.ts lumaDetail computes it for the station."""
    if factor == 1:
        return torch.zeros(thumb_y.shape[0], 1, 4 * thumb_y.shape[-2], 4 * thumb_y.shape[-1], device=thumb_y.device, dtype=thumb_y.dtype)
    up = plane if factor == 4 else F.interpolate(plane, scale_factor=4 // factor, mode='bilinear', align_corners=False)
    return up - F.interpolate(thumb_y, scale_factor=4, mode='bilinear', align_corners=False)
