"""List the EdgeTPU-DeepLab-slim tflite graph (operators, shapes, quantisation) and count its multiply-accumulates at
its fixed 513x513 input, as Markdown for docs/bench/segmentation-deeplab.md.

MACs: CONV_2D Ho*Wo*Co*kh*kw*Ci, DEPTHWISE_CONV_2D Ho*Wo*C*kh*kw; element operations (ADD, pooling, bilinear resize
at 4 taps per output value, ARG_MAX compares) are counted apart as "element ops", not MACs.

Usage: /usr/bin/python3 training/segmentation/deeplab_edgetpu/graph_table.py [--tflite PATH]"""
import argparse
import os
import sys
from collections import OrderedDict

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from deeplab_tflite import TFLITE, load_model  # noqa: E402


def op_cost(m, op):
    """(MACs, element ops) of one operator."""
    out = m.tensors[op.outputs[0]].shape
    if op.op == 'CONV_2D':
        co, kh, kw, ci = m.tensors[op.inputs[1]].shape
        return out[1] * out[2] * co * kh * kw * ci, 0
    if op.op == 'DEPTHWISE_CONV_2D':
        _, kh, kw, c = m.tensors[op.inputs[1]].shape
        return out[1] * out[2] * c * kh * kw, 0
    n_out = int(np.prod(out))
    if op.op == 'RESIZE_BILINEAR':
        return 0, 4 * n_out
    if op.op == 'ARG_MAX':
        return 0, int(np.prod(m.tensors[op.inputs[0]].shape))
    if op.op == 'AVERAGE_POOL_2D':
        return 0, int(np.prod(m.tensors[op.inputs[0]].shape))
    return 0, n_out


def quant(t):
    if len(t.scale) == 0:
        return np.dtype(t.dtype).name
    kind = 'per-channel' if len(t.scale) > 1 else 'per-tensor'
    return '%s %s s=%.4g z=%d' % (np.dtype(t.dtype).name, kind, t.scale[0], t.zero_point[0])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--tflite', default=TFLITE)
    a = ap.parse_args()
    m = load_model(a.tflite)
    total_mac = 0
    total_el = 0
    by_op = OrderedDict()
    by_res = OrderedDict()
    rows = []
    for i, op in enumerate(m.operators):
        mac, el = op_cost(m, op)
        total_mac += mac
        total_el += el
        s = by_op.setdefault(op.op, [0, 0, 0])
        s[0] += 1
        s[1] += mac
        s[2] += el
        out = m.tensors[op.outputs[0]]
        res = '%dx%d' % (out.shape[1], out.shape[2]) if len(out.shape) == 4 else '%dx%d' % out.shape[1:3]
        by_res[res] = by_res.get(res, 0) + mac
        ins = [m.tensors[t] for t in op.inputs if t >= 0]
        w = ins[1] if op.op in ('CONV_2D', 'DEPTHWISE_CONV_2D') else None
        detail = ''
        if w is not None:
            o = op.options
            detail = 'k%dx%d s%d d%d %s' % (w.shape[1], w.shape[2], o['stride_h'], o['dilation_h_factor'],
                                           o['fused_activation_function'])
        rows.append('| %d | %s | %s | %s | %s | %s | %s | %.1f | %s |' % (
            i, op.op, 'x'.join(map(str, ins[0].shape)), 'x'.join(map(str, out.shape)),
            'x'.join(map(str, w.shape)) if w is not None else '', detail,
            quant(w) if w is not None else '', mac / 1e6, quant(out)))
    print('Operators: %d, tensors: %d. Total %.3f G MACs (conv and depthwise conv) and %.1f M element ops at 513x513.'
          % (len(m.operators), len(m.tensors), total_mac / 1e9, total_el / 1e6))
    print()
    print('| operator | count | M MACs | share of MACs | M element ops |')
    print('|---|---:|---:|---:|---:|')
    for k, (n, mac, el) in by_op.items():
        print('| %s | %d | %.1f | %.1f %% | %.1f |' % (k, n, mac / 1e6, 100 * mac / total_mac, el / 1e6))
    print()
    print('| output resolution | M MACs | share |')
    print('|---|---:|---:|')
    for k, mac in by_res.items():
        if mac:
            print('| %s | %.1f | %.1f %% |' % (k, mac / 1e6, 100 * mac / total_mac))
    print()
    print('| # | op | input | output | filter | kernel, stride, dilation, act | filter quantisation | M MACs | '
          'output quantisation |')
    print('|---:|---|---|---|---|---|---|---:|---|')
    for r in rows:
        print(r)


if __name__ == '__main__':
    main()
