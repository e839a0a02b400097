"""Export the Cityscapes ESPNetv2 graph at other input sizes into a scratch folder, for test/perf/analyses.ts
--candidates (time and agreement with the shipped graph; docs/bench/analyses.md). Same graph as export_espnetv2.py
(image RGB 0..1 -> uint8 labels), only the fixed input size differs; nothing is written to resources/models or the
manifest.

Usage: /usr/bin/python3 training/segmentation/export_size_candidates.py OUT_DIR [WxH ...]   (default 768x384 640x320 512x256)"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from espnetv2 import load_espnetv2  # noqa: E402
from export_espnetv2 import export  # noqa: E402


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    sizes = sys.argv[2:] or ['768x384', '640x320', '512x256']
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(1)
    model = load_espnetv2('city', exportable=True)
    for s in sizes:
        w, h = (int(v) for v in s.split('x'))
        if w % 16 or h % 16:
            sys.exit(f'export_size_candidates: {s}: ESPNetv2 needs sides that are multiples of 16')
        path = os.path.join(out, f'city_{w}x{h}.onnx')
        export(model, path, w, h)
        print(f'export_size_candidates: wrote {path}')


if __name__ == '__main__':
    main()
