"""Model set 3: a learned latent and a decoder that generates (issue 16).

g_a      RGB [B,3,H,W] in [0,1] -> y [B,320,H/16,W/16]: 3 fixed colour channels (Y, Cb, Cr through an
         overlapping 32-px Hann window, stride 16) and 317 learned ones (four overlapping stride-2 convolutions, a
         residual block at 1/16), then a fixed per-channel normalisation (batch statistics while training, frozen at
         export) times LATENT_SCALE, so every channel has std ~16 and the wire's quantisation steps (1..128)
         mean the same fraction of a channel's spread for every channel. No block transform anywhere.
preview  a linear map from y to a 4x4-per-latent-cell YCbCr picture (ConvTranspose 4x4, stride 4): the
         channel-selection rule scores each channel through it (channel_rule.py), as the paper's SSIM rule
         scored the DCT basis images; it is trained to reconstruct the image's 4x4 means.
decoder  D(y_sel, mask, caption, step, noise) -> RGB [B,3,H,W]: the transmitted channels (quantised, zeros
         elsewhere) and which they are, the caption embedding and the packet's step condition a trunk at 1/16,
         then bilinear x2 upsampling stages (1/8, 1/4, 1/2, 1) with the width falling as resolution rises, so
         the heavy compute stays at low resolution; the colour channels, when sent, are also drawn directly
         (bilinear x16, YCbCr -> RGB) under the learned layers, so colour is right from the first steps. Seeded noise enters at 1/16 and 1/4 (the adversarial term
         makes it generate texture instead of averaging it away).
Why channels survive in small subsets: training keeps only C of them (the rule's picks or random ones), so each
channel learns to carry colour and luminance on its own.

Model set 4 (config colour_layout 'mosaic', colour_gain G) changes only the fixed channels: channel 0 is a colour
MOSAIC, the Y, Cb, Cr thumbnails sampled in a 2x2 pattern over the latent grid like a camera's Bayer filter (Y where
row and column parity agree, Cb on even rows / odd columns, Cr on odd rows / even columns), so that one channel
carries a whole colour picture at 1/32 and C = 1 already has colour; channels 1-3 are the full Y, Cb, Cr thumbnails.
The fixed channels are scaled by G over the learned ones, so the packet's one quantisation step is G times finer for
colour (set 3's colour channels were quantised to a few levels at the steps the bit targets need). The encoder always
sends channel 0; the rule picks the other C - 1. The decoder demosaics channel 0 (normalised convolution with a 3x3
tent, per plane) wherever the full thumbnail of a plane is not sent.

Model set 5 (colour_layout 'mosaic3', luma_ratio k) keeps set 4's design with a leaner mosaic: Y only on (even, even),
so each plane is one 1/32 lattice and the (odd, odd) cells are empty (always 0; the wire does not code them, docs/
bitstream.md 6.2). Set 4's second Y lattice cost about half the mosaic's bits for little colour (measured on the KITTI
selection frames: 2,324 bits for the 4-lattice mosaic vs 1,407 for three 1/32 planes at one step, CIEDE2000 9.4 vs 9.9).
Y is scaled by k over Cb and Cr (in their normalised units) before the mosaic is cut, so that the packet's one step
quantises luma about twice as coarsely as chroma in absolute terms, as a thumbnail codec would."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

LATENT_CHANNELS = 320
LATENT_SCALE = 16.0
FACTOR = 16
NOISE_CHANNELS = 8
SHUFFLED_NOISE = 16  # config noise4 'shuffle': 16 more noise channels at 1/16, one 1/4-scale plane by depth-to-space
COLOUR_CHANNELS = 3  # fixed smooth Y, Cb, Cr channels at the start of the latent (Analysis)
PREVIEW = 4  # preview samples per latent cell side (4x4-pixel means of a 16x16 cell)


def noise_channels(cfg):
    """Noise channels the decoder takes at 1/16: 8, plus 16 with noise4 'shuffle' (its own value per 1/4-scale pixel)."""
    return NOISE_CHANNELS + (SHUFFLED_NOISE if cfg.get('noise4') == 'shuffle' else 0)


RGB2YCC = torch.tensor([[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5], [0.5, -0.418688, -0.081312]])


def ycc_planes(rgb):
    """Full-range BT.601 Y, Cb + 0.5, Cr + 0.5 (values 0..1), the planes the selection rule compares."""
    ycc = torch.einsum('ij,bjhw->bihw', RGB2YCC.to(rgb), rgb)
    return ycc + torch.tensor([0.0, 0.5, 0.5], device=rgb.device).view(1, 3, 1, 1)


class ResBlock(nn.Module):
    """Two 3x3 convolutions with a FiLM from the conditioning vector; zero-initialised output."""

    def __init__(self, ch, cond_dim=0, dilation=1):
        super().__init__()
        self.conv1 = nn.Conv2d(ch, ch, 3, padding=dilation, dilation=dilation)
        self.conv2 = nn.Conv2d(ch, ch, 3, padding=1)
        nn.init.zeros_(self.conv2.weight)
        nn.init.zeros_(self.conv2.bias)
        self.film = nn.Linear(cond_dim, 2 * ch) if cond_dim else None

    def forward(self, h, cond=None):
        a = h
        if self.film is not None:
            scale, shift = self.film(cond).unsqueeze(-1).unsqueeze(-1).chunk(2, dim=1)
            a = a * (1 + scale) + shift
        a = self.conv1(F.leaky_relu(a, 0.2))
        a = self.conv2(F.leaky_relu(a, 0.2))
        return h + a


def hann_lowpass(size=2 * FACTOR):
    """A separable Hann window of 2x the latent stride, normalised: shifted by the stride its copies sum to a
    constant, so the colour channels are overlapping smooth averages, not block means."""
    i = torch.arange(size, dtype=torch.float32)
    w = torch.sin(math.pi * (i + 0.5) / size) ** 2
    k = torch.outer(w, w)
    return k / k.sum()


def hann_kernel(stride, planes):
    """[planes,1,2*stride,2*stride]: hann_lowpass(2 * stride) for each plane, the kernel hann_average takes."""
    size = 2 * stride
    return hann_lowpass(size).view(1, 1, size, size).repeat(planes, 1, 1, 1)


def hann_average(t, kernel, stride):
    """t [B,C,H,W] through `kernel` [C,1,2*stride,2*stride] (a hann_lowpass per plane) at `stride`, edges replicated:
    the overlapping smooth averages every fixed channel and the decoder's colour split are made of."""
    return F.conv2d(F.pad(t, (stride // 2,) * 4, mode='replicate'), kernel, stride=stride, groups=t.shape[1])


MOSAIC_LAYOUTS = ('mosaic', 'mosaic3')
MOSAIC_TOLERANCE = 0.7  # the most a mosaic value may be rounded away from its level (src/core/codec/predictiveQuantize.ts)
OPEN_BIN = 1e3  # a bin wider than any chroma: no constraint where the packet has no sample of the plane
DETAIL_CHANNELS = 4  # config luma_detail: the last four latent channels are luma detail at 1/8 (below)


def has_luma_detail(cfg):
    return bool(cfg.get('luma_detail'))


def detail_gain(cfg):
    """The luma-detail channels' gain (config detail_gain; colour_gain unless set: the Y thumbnail's step), None
    without luma_detail. A gain below colour_gain quantises the detail more coarsely than the thumbnails."""
    return float(cfg.get('detail_gain', cfg.get('colour_gain', 1.0))) if has_luma_detail(cfg) else None


def haar2x2():
    """[4,1,2,2] the orthonormal 2x2 Haar basis (mean, horizontal, vertical, diagonal): as a stride-2 convolution it
    folds a 1/8-scale plane into four 1/16-scale channels, and as a stride-2 transposed convolution it unfolds them;
    any subset of the four unfolds into the least-squares picture of what was sent (no holes, unlike polyphase)."""
    k = torch.tensor([[[1, 1], [1, 1]], [[1, -1], [1, -1]], [[1, 1], [-1, -1]], [[1, -1], [-1, 1]]], dtype=torch.float32)
    return (k / 2).unsqueeze(1)


def detail_to_plane(d):
    """[B,4,h,w] luma-detail channels -> [B,1,2h,2w] the 1/8-scale detail plane."""
    return F.conv_transpose2d(d, haar2x2().to(d), stride=2)


def fixed_channels(cfg):
    """How many leading latent channels are fixed colour channels: 3 (set 3: Y, Cb, Cr) or 4 (mosaic, Y, Cb, Cr)."""
    return 4 if cfg.get('colour_layout') in MOSAIC_LAYOUTS else COLOUR_CHANNELS


def mosaic_masks(h, w, device=None, layout='mosaic'):
    """[1,3,h,w] 0/1: where the mosaic channel holds Y, Cb, Cr (row/column parity: Y on (even, even) and, in set 4's
    'mosaic', also (odd, odd); Cb on (even, odd), Cr on (odd, even)). 'mosaic3' leaves (odd, odd) empty."""
    r = torch.arange(h, device=device).view(h, 1) % 2
    c = torch.arange(w, device=device).view(1, w) % 2
    y = ((r == 0) & (c == 0)).float() if layout == 'mosaic3' else (r == c).float()
    cb = ((r == 0) & (c == 1)).float()
    cr = ((r == 1) & (c == 0)).float()
    return torch.stack([y, cb, cr]).unsqueeze(0)


def make_mosaic(ycc, layout='mosaic'):
    """[B,3,h,w] thumbnails -> [B,1,h,w] mosaic."""
    return (ycc * mosaic_masks(*ycc.shape[-2:], ycc.device, layout)).sum(1, keepdim=True)


def demosaic(mos, layout='mosaic'):
    """[B,1,h,w] mosaic -> [B,3,h,w]: each plane filled by a normalised 3x3 tent convolution over its own samples
    (every cell has a sample of each plane within one step, so the result is defined everywhere)."""
    m = mosaic_masks(*mos.shape[-2:], mos.device, layout)
    t = torch.tensor([1.0, 2.0, 1.0], device=mos.device)
    k = torch.outer(t, t).view(1, 1, 3, 3).repeat(3, 1, 1, 1)
    num = F.conv2d(mos * m, k, padding=1, groups=3)
    den = F.conv2d(m.expand(mos.shape[0], -1, -1, -1), k, padding=1, groups=3)
    return num / den


class Analysis(nn.Module):
    """The first fixed_channels(cfg) channels are fixed: the image's Y, Cb, Cr seen through an overlapping Hann
    window (stride 16, width 32), a smooth colour thumbnail the decoder can always turn into a picture (set 4: led by
    their mosaic, and scaled by colour_gain); the other channels are learned. All are normalised the same way."""

    def __init__(self, cfg):
        super().__init__()
        self.layout = cfg.get('colour_layout')
        self.mosaic = self.layout in MOSAIC_LAYOUTS
        self.fixed = fixed_channels(cfg)
        self.gain = float(cfg.get('colour_gain', 1.0))
        self.luma_ratio = float(cfg.get('luma_ratio', 1.0))
        w = cfg['analysis_widths']  # e.g. [32, 64, 128, 192]
        self.convs = nn.ModuleList([
            nn.Conv2d(3, w[0], 5, stride=2, padding=2),
            nn.Conv2d(w[0], w[1], 3, stride=2, padding=1),
            nn.Conv2d(w[1], w[2], 3, stride=2, padding=1),
            nn.Conv2d(w[2], w[3], 3, stride=2, padding=1),
        ])
        self.res = ResBlock(w[3])
        self.detail = has_luma_detail(cfg)
        self.detail_gain = detail_gain(cfg)
        learned = LATENT_CHANNELS - self.fixed - (DETAIL_CHANNELS if self.detail else 0)
        self.out = nn.Conv2d(w[3], learned, 1)
        self.register_buffer('lowpass', hann_kernel(FACTOR, 3))
        # the mosaic is cut from the normalised thumbnails, so its samples are in exactly channels 1-3's units
        self.norm = nn.BatchNorm2d(COLOUR_CHANNELS + learned, affine=False, momentum=0.01)
        if self.detail:
            self.register_buffer('lowpass8', hann_kernel(FACTOR // 2, 1))

    def forward(self, x):
        h = x - 0.5
        for i, c in enumerate(self.convs):
            h = c(h)
            if i < len(self.convs) - 1:
                h = F.leaky_relu(h, 0.2)
        h = self.res(h)
        colour = hann_average(ycc_planes(x), self.lowpass, FACTOR)
        if self.training:  # what the batch normalisation divides by now (biased variance), for colour_norm
            self._batch_colour = (colour.mean((0, 2, 3)).detach(), colour.var((0, 2, 3), unbiased=False).detach())
        y = self.norm(torch.cat([colour, self.out(h)], dim=1)) * LATENT_SCALE
        if self.luma_ratio != 1.0:
            y = torch.cat([y[:, :1] * self.luma_ratio, y[:, 1:]], dim=1)
        if self.mosaic:
            y = torch.cat([make_mosaic(y[:, :3], self.layout), y], dim=1)
        if self.detail:
            y = torch.cat([y, self.luma_detail(x, colour[:, :1])], dim=1)
        return with_gain(y, self.fixed, self.gain, self.detail_gain, 1)

    def colour_norm(self):
        """(mean, scale) [3] of the Y, Cb, Cr thumbnails' normalisation in the last forward: the batch's while
        training, the running statistics in eval mode."""
        mean, var = self._batch_colour if self.training else (self.norm.running_mean[:3], self.norm.running_var[:3])
        return mean, torch.sqrt(var + self.norm.eps)

    def luma_detail(self, x, y16):
        """Config luma_detail: Y through a 16-px Hann window at stride 8, minus the Y thumbnail (y16, before its
        normalisation) upsampled x2, folded by the 2x2 Haar basis into four 1/16 channels in the Y thumbnail's units
        (its frozen normalisation scale and luma_ratio), so one step quantises both alike. A Laplacian pyramid's next
        level: overlapping windows, no block transform; the decoder adds it to the thumbnail it upsamples."""
        y8 = hann_average(ycc_planes(x)[:, :1], self.lowpass8, FACTOR // 2)
        d8 = y8 - F.interpolate(y16, size=y8.shape[-2:], mode='bilinear', align_corners=False)
        scale = LATENT_SCALE * self.luma_ratio / torch.sqrt(self.norm.running_var[0] + self.norm.eps)
        return F.conv2d(d8, haar2x2().to(x), stride=2) * scale


def with_gain(y, fixed, gain, detail_gain, power):
    """y with the fixed channels multiplied by gain**power and the luma-detail ones (detail_gain not None) by
    detail_gain**power: power 1 in g_a, -1 to take the gains out."""
    if gain == 1.0 and detail_gain in (None, 1.0):
        return y
    if detail_gain is None:
        return torch.cat([y[:, :fixed] * gain ** power, y[:, fixed:]], dim=1)
    return torch.cat([y[:, :fixed] * gain ** power, y[:, fixed:-DETAIL_CHANNELS], y[:, -DETAIL_CHANNELS:] * detail_gain ** power], dim=1)


def without_gain(cfg, y):
    """y with the fixed colour channels' colour_gain (and the luma detail's gain) taken out (export folds 1/gain into
    their preview patterns)."""
    return with_gain(y, fixed_channels(cfg), float(cfg.get('colour_gain', 1.0)), detail_gain(cfg), -1)


class Preview(nn.Module):
    """Linear y -> YCbCr at 1/4 resolution (4x4 means). Its weight, [320,3,4,4], is each channel's pattern."""

    def __init__(self):
        super().__init__()
        self.up = nn.ConvTranspose2d(LATENT_CHANNELS, 3, PREVIEW, stride=PREVIEW, bias=True)
        nn.init.normal_(self.up.weight, std=1e-3)

    def forward(self, y):
        return self.up(y / LATENT_SCALE)

    def patterns(self):
        """[320, 3, 16]: channel k's contribution per unit of y/LATENT_SCALE, per plane, 4x4 row-major."""
        return self.up.weight.detach().reshape(LATENT_CHANNELS, 3, PREVIEW * PREVIEW)


class Up(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1)

    def forward(self, h):
        return F.leaky_relu(self.conv(F.interpolate(h, scale_factor=2, mode='bilinear', align_corners=False)), 0.2)


class Decoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d = cfg['decoder']
        w16, w8, w4, w2, w1 = d['widths']  # e.g. [192, 128, 64, 32, 16]
        cond_dim = 128
        self.cond = nn.Sequential(nn.Linear(cfg['caption_dim'] + 2, cond_dim), nn.SiLU(), nn.Linear(cond_dim, cond_dim), nn.SiLU())
        self.in_y = nn.Conv2d(LATENT_CHANNELS, w16, 1)
        self.in_m = nn.Linear(LATENT_CHANNELS, w16, bias=False)
        self.in_n = nn.Conv2d(NOISE_CHANNELS, w16, 1, bias=False)
        self.in_c = nn.Linear(cond_dim, w16)
        self.trunk = nn.ModuleList([ResBlock(w16, cond_dim, dl) for dl in d['trunk_dilations']])
        self.up8 = Up(w16, w8)
        self.res8 = ResBlock(w8, cond_dim)
        self.up4 = Up(w8, w4)
        self.noise4 = nn.Conv2d(1, w4, 1, bias=False)
        self.shuffled_noise = cfg.get('noise4') == 'shuffle'
        # config noise 'none': the noise input is multiplied by 0 (kept as an input, so the station's call is
        # unchanged). Texture drawn from noise does not follow the picture: every LPIPS-trained run drew the same
        # oriented strokes, which move with the seed (session 27); without noise, detail has to come from the latent.
        self.without_noise = cfg.get('noise') == 'none'
        self.res4 = ResBlock(w4, cond_dim)
        self.up2 = Up(w4, w2)
        self.res2 = ResBlock(w2)
        self.up1 = Up(w2, w1)
        self.rgb = nn.Conv2d(w1, 3, 3, padding=1)
        # a smooth colour base from 1/4 scale, so the full-resolution layers only add detail
        self.rgb4 = nn.Conv2d(w4, 3, 3, padding=1)
        # the colour channels, when sent, drawn directly: bilinear x16 of their YCbCr (what they average), to RGB
        self.colour = nn.Conv2d(COLOUR_CHANNELS, 3, 1)
        with torch.no_grad():
            self.colour.weight.zero_()
            for c, s in enumerate((0.2, 0.05, 0.05)):
                self.colour.weight[c, c] = s
            self.colour.bias.zero_()
        self.register_buffer('ycc2rgb', torch.linalg.inv(RGB2YCC).view(3, 3, 1, 1))
        self.layout = cfg.get('colour_layout')
        self.mosaic = self.layout in MOSAIC_LAYOUTS
        self.fixed = fixed_channels(cfg)
        self.gain = float(cfg.get('colour_gain', 1.0))
        self.luma_ratio = float(cfg.get('luma_ratio', 1.0))
        if self.mosaic:
            # the demosaiced planes also enter the trunk (zero-initialised: a set-3 decoder starts unchanged)
            self.in_mosaic = nn.Conv2d(3, w16, 1, bias=False)
            nn.init.zeros_(self.in_mosaic.weight)
        # config thumbnail_colour: the 1/4-scale layers add no colour at the thumbnails' scale (their output minus its
        # own smooth 1/16-scale average), so the sent thumbnails alone set each region's mean colour
        self.thumbnail_colour = bool(cfg.get('thumbnail_colour'))
        if self.thumbnail_colour:
            self.register_buffer('lowpass4', hann_kernel(FACTOR // 4, 3), persistent=False)
        # config chroma_anchor: consistent chroma. Seen through the thumbnails' own window (32-px Hann, stride 16), the
        # output's Cb and Cr are moved into the quantisation bin their sent thumbnail values mean (the mosaic's cells
        # allow the encoder's rounding tolerance); inside a bin the layers are free, so they still denoise coarse
        # levels, but no layer can shift a region's colour where the packet says otherwise (sets 13-18 turned a
        # saturated orange red). chroma_norm: the Cb, Cr normalisation g_a used (offset from grey, scale; rows Cb, Cr),
        # set by sync_chroma_norm.
        self.chroma_anchor = bool(cfg.get('chroma_anchor'))
        if self.chroma_anchor:
            self.register_buffer('lowpass16', hann_kernel(FACTOR, 2), persistent=False)
            self.register_buffer('rgb2chroma', RGB2YCC[1:].clone().view(2, 3, 1, 1), persistent=False)
            self.register_buffer('chroma_norm', torch.tensor([[0.0, 1.0], [0.0, 1.0]]), persistent=False)
        # config luma_plane_input (set 29): set 28's finer luma plane enters the 1/8 and 1/4 stages as the detail it adds
        # to the 1/16 Y thumbnail (zero-initialised convolutions: a warm start decodes as its starting decoder did)
        self.luma_plane_input = bool(cfg.get('luma_plane_input'))
        if self.luma_plane_input:
            self.in_luma8 = nn.Conv2d(1, w8, 3, padding=1)
            self.in_luma4 = nn.Conv2d(1, w4, 3, padding=1)
            for conv in (self.in_luma8, self.in_luma4):
                nn.init.zeros_(conv.weight)
                nn.init.zeros_(conv.bias)
        self.detail = has_luma_detail(cfg)
        self.detail_gain = detail_gain(cfg)
        if self.detail:
            # the luma detail drawn directly like the thumbnails: starts as the colour path's Y column (a warm start
            # copies the trained one)
            self.detail_colour = nn.Conv2d(1, 3, 1)
            with torch.no_grad():
                self.detail_colour.weight.copy_(self.colour.weight[:, :1])
                self.detail_colour.bias.zero_()

    def colour_planes(self, y_sel, mask):
        """The Y, Cb, Cr thumbnails the packet gives, in the learned channels' units, [B,3,h,w]: the full
        thumbnail of a plane where it was sent, else the demosaiced mosaic (set 4); set 3: its colour channels."""
        if not self.mosaic:
            return y_sel[:, :COLOUR_CHANNELS] / self.gain
        full = y_sel[:, 1:4] / self.gain
        sent = mask[:, 1:4].view(-1, 3, 1, 1)
        mos = demosaic(y_sel[:, :1] / self.gain, self.layout)
        planes = full * sent + mos * (1 - sent)
        if self.luma_ratio != 1.0:  # set 5's Y travels scaled by luma_ratio: back to the units the colour path expects
            planes = torch.cat([planes[:, :1] / self.luma_ratio, planes[:, 1:]], dim=1)
        return planes

    def forward(self, y_sel, mask, caption, log_step, noise, luma_detail=None):
        """y_sel [B,320,h,w] (quantised y, zeros where not sent), mask [B,320], caption [B,cd],
        log_step [B] (log2 of the packet's step), noise [B,noise_channels(cfg),h,w]; config luma_plane_input:
        luma_detail [B,1,4h,4w], the packet's luma plane at 1/4 scale minus the 1/16 Y thumbnail drawn there (bilinear),
        in g_a's Y units (zeros for a packet whose plane is the thumbnail itself: fine_luma_wire.luma_detail)."""
        c_count = mask.sum(1, keepdim=True) / 16.0
        cond = self.cond(torch.cat([caption, log_step.view(-1, 1) / 7.0, c_count], dim=1))
        planes = self.colour_planes(y_sel, mask)
        y_sel = with_gain(y_sel, self.fixed, self.gain, self.detail_gain, -1)
        if self.without_noise:  # (a plain config's graph stays as exported before)
            noise = noise * 0.0
        h = self.in_y(y_sel / LATENT_SCALE) + self.in_n(noise[:, :NOISE_CHANNELS])
        if self.mosaic:
            h = h + self.in_mosaic(planes / LATENT_SCALE)
        h = h + (self.in_m(mask) + self.in_c(cond)).unsqueeze(-1).unsqueeze(-1)
        for b in self.trunk:
            h = b(h, cond)
        if self.luma_plane_input:  # in the Y thumbnail's normalised units (colour_planes)
            d4 = luma_detail / (self.gain * self.luma_ratio * LATENT_SCALE)
            h = self.res8(self.up8(h) + self.in_luma8(F.avg_pool2d(d4, 2)), cond)
            h = self.up4(h) + self.in_luma4(d4)
        else:
            h = self.res8(self.up8(h), cond)
            h = self.up4(h)
        B, _, H4, W4 = h.shape
        # the 1/4-scale noise plane: the first noise channel upsampled x4 (constant over 16-pixel blocks), or with
        # noise4 'shuffle' the last 16 channels rearranged into one plane (one seed drives every sample either way)
        if self.shuffled_noise:  # a value per 1/4-scale pixel: no 16-pixel block in the texture the noise seeds
            n4 = F.pixel_shuffle(noise[:, NOISE_CHANNELS:NOISE_CHANNELS + SHUFFLED_NOISE], 4)
        else:
            n4 = F.interpolate(noise[:, :1], size=(H4, W4), mode='nearest')
        h = self.res4(h + self.noise4(n4), cond)
        r4 = self.rgb4(h)
        if self.thumbnail_colour:
            mean = hann_average(r4, self.lowpass4, FACTOR // 4)
            r4 = r4 - F.interpolate(mean, size=r4.shape[-2:], mode='bilinear', align_corners=False)
        base = F.interpolate(r4, scale_factor=4, mode='bilinear', align_corners=False)
        ycc = F.interpolate(self.colour(planes / LATENT_SCALE), scale_factor=FACTOR, mode='bilinear', align_corners=False)
        if self.detail:  # the sent detail channels, unfolded to 1/8 in the Y thumbnail's units, drawn x8
            d8 = detail_to_plane(y_sel[:, -DETAIL_CHANNELS:] / self.luma_ratio)
            ycc = ycc + F.interpolate(self.detail_colour(d8 / LATENT_SCALE), scale_factor=FACTOR // 2, mode='bilinear', align_corners=False)
        base = base + F.conv2d(ycc, self.ycc2rgb)
        h = self.res2(self.up2(h))
        h = self.up1(h)
        out = base + 0.5 + self.rgb(h)
        return self.consistent_chroma(out, planes[:, 1:], mask, log_step) if self.chroma_anchor else out

    def consistent_chroma(self, out, chroma, mask, log_step):
        """Config chroma_anchor: out [B,3,H,W] with the thumbnail-window average of its Cb, Cr moved into the bins of
        chroma [B,2,h,w] (the packet's Cb, Cr thumbnails in normalised units: sent, or demosaiced). A plane's bins are
        +-step/2 where its full thumbnail was sent, +-MOSAIC_TOLERANCE steps on its mosaic lattice, open elsewhere;
        the correction is upsampled as the colour path is and taken off in YCbCr."""
        offset, scale = (self.chroma_norm[:, i].view(1, 2, 1, 1) for i in (0, 1))
        centre = chroma / LATENT_SCALE * scale + offset
        step = torch.exp(log_step * math.log(2.0)).view(-1, 1, 1, 1) / self.gain / LATENT_SCALE * scale  # one level, in chroma units
        sent = mask[:, 2:4].view(-1, 2, 1, 1)
        lattice = mosaic_masks(*chroma.shape[-2:], chroma.device, self.layout)[:, 1:]
        half = torch.where(sent > 0, 0.5 * step, torch.where(lattice > 0, MOSAIC_TOLERANCE * step, torch.full_like(step, OPEN_BIN)))
        seen = hann_average(F.conv2d(out, self.rgb2chroma), self.lowpass16, FACTOR)
        err = seen - torch.maximum(torch.minimum(seen, centre + half), centre - half)
        err = F.interpolate(err, scale_factor=FACTOR, mode='bilinear', align_corners=False)
        return out - F.conv2d(err, self.ycc2rgb[:, 1:])


def sync_chroma_norm(nets):
    """Config chroma_anchor: give the decoder the Cb, Cr normalisation g_a last used (its batch's while training, the
    frozen running statistics in eval mode), so its bins are where the encoder's levels are."""
    dec = nets['decoder']
    if getattr(dec, 'chroma_anchor', False):
        mean, scale = nets['g_a'].colour_norm()
        dec.chroma_norm.copy_(torch.stack([mean[1:] - 0.5, scale[1:]], dim=1))


class PatchDiscriminator(nn.Module):
    """Four stride-2 convolutions, 3 -> 32 -> 64 -> 128 -> 1 logits per patch, spectrally normalised."""

    def __init__(self):
        super().__init__()
        sn = nn.utils.spectral_norm
        self.net = nn.Sequential(
            sn(nn.Conv2d(3, 32, 4, stride=2, padding=1)), nn.LeakyReLU(0.2),
            sn(nn.Conv2d(32, 64, 4, stride=2, padding=1)), nn.LeakyReLU(0.2),
            sn(nn.Conv2d(64, 128, 4, stride=2, padding=1)), nn.LeakyReLU(0.2),
            sn(nn.Conv2d(128, 1, 4, stride=2, padding=1)),
        )

    def forward(self, x):
        return self.net(x * 2 - 1)


class CaptionEncoder(nn.Module):
    """tokens int64 [B,L] (0 = pad), mask float [B,L] -> [B,caption_dim]: masked mean of word embeddings, MLP."""

    def __init__(self, cfg):
        super().__init__()
        self.embed = nn.Embedding(cfg['vocab_size'], cfg['embed_dim'], padding_idx=0)
        self.mlp = nn.Sequential(nn.Linear(cfg['embed_dim'], cfg['caption_dim']), nn.SiLU(), nn.Linear(cfg['caption_dim'], cfg['caption_dim']))

    def forward(self, tokens, mask):
        e = self.embed(tokens) * mask.unsqueeze(-1)
        return self.mlp(e.sum(1) / mask.sum(1, keepdim=True).clamp(min=1.0))
