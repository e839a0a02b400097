"""Config block_edge: a training term against the latent grid. At every 16-pixel cell boundary, the step between the
mean of the BAND pixels on one side and the BAND on the other, in the decoded picture and in the original; the term is
the mean excess of the first over the second (relu(|step x_hat| - |step x|)), rows and columns, RGB. Why a band and not
the boundary pair the blockiness metric reads: a decoder that only ramped the pair would still show the cells' mean
steps, which this sees; an edge the original has at a boundary costs nothing."""
import torch
import torch.nn.functional as F

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
