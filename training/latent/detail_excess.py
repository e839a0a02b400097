"""Config detail_excess: a training term against texture drawn where the original has none. Per crop: the squared
Laplacian response in Y, Cb and Cr, summed, averaged over 8x8 windows, for the decoded picture and the original; the
term is the mean excess (relu) of the first over the second, divided by the original's mean (held constant). LPIPS
rewards texture wherever it is drawn (session 26's run e: strokes over a clear sky, LPIPS -0.23); this charges it only
where the original is flatter than the decoded picture, so texture the photograph has costs nothing. Config
flat_detail (below) charges any detail drawn in the original's flattest quarter instead, as
training/eval/false_texture.py reads it on whole pictures."""
import torch
import torch.nn.functional as F

from latent_codec import RGB2YCC

WINDOW = 8
LAPLACIAN = torch.tensor([[0., -1., 0.], [-1., 4., -1.], [0., -1., 0.]])


def _energy(t):
    """[B,1,H/8,W/8]: the 8x8 mean of the squared Laplacian response summed over Y, Cb, Cr (t in [0, 1] RGB)."""
    ycc = torch.einsum('ij,bjhw->bihw', RGB2YCC.to(t), t)
    lap = F.conv2d(ycc, LAPLACIAN.to(t).view(1, 1, 3, 3).repeat(3, 1, 1, 1), groups=3)
    return F.avg_pool2d((lap ** 2).sum(1, keepdim=True), WINDOW)


def detail_excess(x_hat, x):
    e_hat, e = _energy(x_hat), _energy(x)
    return (F.relu(e_hat - e).mean((1, 2, 3)) / (e.mean((1, 2, 3)) + 1e-6)).mean()


FLAT_CELL = 16
FLAT_SHARE = 0.25
FLAT_FLOOR = 1e-5  # ~0.65 on 0-255 values squared: a flat region's sensor noise, so a spotless crop is not divided by 0


def flat_detail(x_hat, x):
    """Config flat_detail: false_texture.py's reading as a training term. Per crop: the decoded picture's Laplacian
    energy in the quarter of 16x16 cells where the original's is lowest, over the original's there (held constant).
    detail_excess charged only energy above the original's, which a decoder's strokes seldom reach (its energy is
    below a photograph's almost everywhere: session 26's run f read ~1e-4); here any detail drawn where the
    photograph is flat costs, so texture the decoder adds has to go where the photograph has some."""
    lap_hat, lap = _energy(x_hat), _energy(x)
    k = FLAT_CELL // WINDOW
    cells_hat, cells = F.avg_pool2d(lap_hat, k).flatten(1), F.avg_pool2d(lap, k).flatten(1)
    flat = (cells <= torch.quantile(cells, FLAT_SHARE, dim=1, keepdim=True)).to(cells)
    count = flat.sum(1)
    ratio = (cells_hat * flat).sum(1) / count / ((cells * flat).sum(1) / count + FLAT_FLOOR)
    return ratio.mean()
