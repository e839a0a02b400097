"""Config block_edge: a training term against the latent grid. At every 16-pixel cell boundary, the step between the
mean of the BAND pixels on one side and the BAND on the other, in the decoded picture and in the original; the term is
the mean excess of the first over the second (relu(|step x_hat| - |step x|)), rows and columns, RGB. Why a band and not
the boundary pair the blockiness metric reads: a decoder that only ramped the pair would still show the cells' mean
steps, which this sees; an edge the original has at a boundary costs nothing."""
import torch
import torch.nn.functional as F

from latent_codec import ycc_planes

CELL = 16
BAND = 4


def _steps(t, dim):
    """|mean of BAND samples after each inner cell boundary - mean of BAND before| along dim (2: rows, 3: columns)."""
    n = t.shape[dim]
    cuts = torch.arange(CELL, n - BAND + 1, CELL, device=t.device)
    if len(cuts) == 0:
        return t.new_zeros(0)
    before = torch.stack([t.narrow(dim, int(c) - BAND, BAND).mean(dim) for c in cuts], -1)
    after = torch.stack([t.narrow(dim, int(c), BAND).mean(dim) for c in cuts], -1)
    return (after - before).abs()


def block_edge_excess(x_hat, x):
    """Mean over boundaries of relu(|band step of x_hat| - |band step of x|), both directions."""
    terms = [F.relu(_steps(x_hat, d) - _steps(x, d)).mean() for d in (2, 3)]
    return sum(terms) / len(terms)


def _raw_profile(t, dim):
    """[B, 16]: mean squared luma step at each offset within the grid along dim (index 0 = across a cell boundary)."""
    luma = ycc_planes(t)[:, 0]
    d = luma.diff(dim=dim - 1) ** 2  # luma has no channel axis: rows are dim 1, columns dim 2
    n = d.shape[dim - 1]
    # step k (pixel k to k + 1) crosses a boundary when k % CELL == CELL - 1: roll so the boundary comes first
    prof = torch.stack([d.narrow(dim - 1, k, n - k).index_select(dim - 1, torch.arange(0, n - k, CELL, device=t.device)).mean((1, 2))
                        for k in range(CELL)], 1)
    return torch.roll(prof, 1, dims=1)


def _normalised(p):
    """A [B, 16] profile divided by its mean over the offsets (training/eval/grid_profile.py's profile)."""
    return p / (p.mean(1, keepdim=True) + 1e-8)


def _rows_and_columns(term, x_hat, x):
    """The mean of term(x_hat's raw profile, x's) over rows and columns."""
    return sum(term(_raw_profile(x_hat, d), _raw_profile(x, d)) for d in (2, 3)) / 2


def grid_period_excess(x_hat, x):
    """Config grid_period: how much x_hat's profile of squared steps over the 16 offsets differs from the original's,
    rows and columns (mean squared difference of the normalised profiles). Unlike block_edge, moving the cells'
    transitions to another offset does not lower it: any 16-pixel period the original lacks costs."""
    return _rows_and_columns(lambda p_hat, p: ((_normalised(p_hat) - _normalised(p)) ** 2).mean(), x_hat, x)


def grid_peak_excess(x_hat, x):
    """Config grid_peak: the 16-pixel period's peaks only. Per crop and direction, x_hat's profile of squared luma steps
    over the 16 offsets divided by its own mean, held constant (no gradient through it), against the original's
    normalised profile; the term is the mean excess (relu) of the first over the second. Run 5's grid_period, a
    two-sided difference of profiles each divided by its own (differentiable) mean, was lowered as well by grain that
    raised every offset, or by detail added where the grid's troughs are, as by removing the grid. Here neither moves
    the term (the divisor is a constant, troughs cost nothing), and a grid moved to another offset is a peak there: only
    smoothing the offsets that stand above the original's profile lowers it."""
    def term(p_hat, p):
        norm_hat = p_hat / (p_hat.mean(1, keepdim=True).detach() + 1e-8)
        return F.relu(norm_hat - _normalised(p)).mean()
    return _rows_and_columns(term, x_hat, x)


def grid_shape_excess(x_hat, x):
    """Config grid_shape: the 16-offset profile's shape, both ways. Per crop and direction, x_hat's profile of squared
    luma steps with its mean over the offsets taken out, divided by that mean held constant (no gradient through
    it), against the original's normalised profile minus 1; the mean squared difference. Its value is grid_period's;
    its gradient is not: grain that raises every offset alike cancels in the centring and cannot move the divisor, so
    it cannot lower the term (its randomness from offset to offset raises it). Unlike grid_peak, a trough costs as a
    peak does (grid_peak's runs kept the trough at mid-cell that bilinear upsampling from the cell centres leaves, and
    drew a dot at every cell)."""
    def term(p_hat, p):
        shape_hat = (p_hat - p_hat.mean(1, keepdim=True)) / (p_hat.mean(1, keepdim=True).detach() + 1e-8)
        return ((shape_hat - (_normalised(p) - 1)) ** 2).mean()
    return _rows_and_columns(term, x_hat, x)
