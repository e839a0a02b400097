"""The decoder's side of a training step, shared by train_latent_codec.forward and wire_training.forward_colour_wire:
the caption embedding (dropped with probability caption_dropout, zero for uncaptioned photos), fresh noise, and the
decoder on the selected channels. The random draws come in this order in every configuration (runs reproduce)."""
import torch

from latent_codec import noise_channels


def decode_selected(cfg, nets, y_sel, mask, step, tokens, tmask, has_cap, rng, dev, drop_caption=True, luma_detail=None):
    """x_hat from y_sel [B,320,h,w] (quantised, zeros where not sent), mask [B,320] and the packet's step [B]
    (config luma_plane_input: and the luma plane's detail, Decoder.forward)."""
    cap = nets['caption'](tokens, tmask)
    keep = has_cap.to(dev).float()
    if drop_caption:
        keep = keep * torch.from_numpy(rng.random(len(keep)) >= cfg['caption_dropout']).float().to(dev)
    cap = cap * keep.view(-1, 1)
    noise = torch.randn(y_sel.shape[0], noise_channels(cfg), *y_sel.shape[-2:], device=dev)
    return nets['decoder'](y_sel, mask, cap, torch.log2(step), noise, luma_detail)
