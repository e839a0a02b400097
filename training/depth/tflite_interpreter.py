"""An interpreter of TFLite graphs in numpy (float64), op by op straight from the tflite tensors, written apart
from the ONNX converter (convert_pydnet.py) so that it can serve as the converter's independent reference. It shares
only the FlatBuffer reader (tflite_reader.py) with the converter.

Semantics follow the TFLite reference kernels for float tensors: NHWC activations, CONV_2D filters [O, kh, kw, I],
VALID/SAME padding, RESIZE_BILINEAR with align_corners / half_pixel_centers, and so on. Constant int8 weights are
dequantised with their per-channel scale and zero point (f = scale * (q - zero_point)) and used in float64: this is
the float meaning of the stored weights. (TFLite's own "hybrid" kernels would additionally quantise the float
activations to int8 on the fly; that is a runtime approximation, not the model, and is not reproduced here.)

Usage as a module: run_tflite(model, {input_index: array}) -> {tensor_index: array}."""
import numpy as np


def _activation(x, name):
    if name == 'NONE':
        return x
    if name == 'RELU':
        return np.maximum(x, 0)
    if name == 'RELU6':
        return np.clip(x, 0, 6)
    if name == 'RELU_N1_TO_1':
        return np.clip(x, -1, 1)
    if name == 'TANH':
        return np.tanh(x)
    raise NotImplementedError('fused activation %s' % name)


def _same_pads(size, k, s, d):
    eff = (k - 1) * d + 1
    out = -(-size // s)
    total = max((out - 1) * s + eff - size, 0)
    return out, total // 2, total - total // 2


def conv2d_nhwc(x, w, b, stride, dilation, padding):
    """x [N,H,W,I], w [O,kh,kw,I], b [O] or None -> [N,Ho,Wo,O]; accumulated one kernel tap at a time."""
    n, h, wd, ci = x.shape
    co, kh, kw, wci = w.shape
    if wci != ci:
        raise ValueError('conv: input has %d channels, filter expects %d' % (ci, wci))
    sh, sw = stride
    dh, dw = dilation
    if padding == 'SAME':
        ho, pt, pb = _same_pads(h, kh, sh, dh)
        wo, pl, pr = _same_pads(wd, kw, sw, dw)
        x = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    else:
        ho = (h - ((kh - 1) * dh + 1)) // sh + 1
        wo = (wd - ((kw - 1) * dw + 1)) // sw + 1
    out = np.zeros((n, ho, wo, co), np.float64)
    for i in range(kh):
        for j in range(kw):
            patch = x[:, i * dh:i * dh + (ho - 1) * sh + 1:sh, j * dw:j * dw + (wo - 1) * sw + 1:sw, :]
            out += patch @ w[:, i, j, :].T
    if b is not None:
        out += b
    return out


def resize_bilinear_nhwc(x, out_h, out_w, align_corners, half_pixel_centers):
    """TFLite RESIZE_BILINEAR on [N,H,W,C]."""
    n, h, w, c = x.shape

    def axis(in_size, out_size):
        scale = in_size / out_size
        if align_corners and out_size > 1:
            scale = (in_size - 1) / (out_size - 1)
        o = np.arange(out_size, dtype=np.float64)
        src = (o + 0.5) * scale - 0.5 if half_pixel_centers else o * scale
        lo = np.floor(src)
        frac = src - lo
        lo = lo.astype(np.int64)
        i0 = np.clip(lo, 0, in_size - 1)
        i1 = np.clip(lo + 1, 0, in_size - 1)
        return i0, i1, frac

    y0, y1, fy = axis(h, out_h)
    x0, x1, fx = axis(w, out_w)
    fy = fy[None, :, None, None]
    fx = fx[None, None, :, None]
    top = x[:, y0][:, :, x0] * (1 - fx) + x[:, y0][:, :, x1] * fx
    bot = x[:, y1][:, :, x0] * (1 - fx) + x[:, y1][:, :, x1] * fx
    return top * (1 - fy) + bot * fy


def strided_slice(x, begin, end, strides, opts):
    if opts.get('ellipsis_mask') or opts.get('new_axis_mask') or opts.get('offset'):
        raise NotImplementedError('STRIDED_SLICE with ellipsis/new-axis masks or offset')
    sl = []
    for k in range(len(begin)):
        b = None if (opts.get('begin_mask', 0) >> k) & 1 else int(begin[k])
        e = None if (opts.get('end_mask', 0) >> k) & 1 else int(end[k])
        if (opts.get('shrink_axis_mask', 0) >> k) & 1:
            sl.append(int(begin[k]))
        else:
            sl.append(slice(b, e, int(strides[k])))
    return x[tuple(sl)]


def run_tflite(model, feeds):
    """Run every operator in order; feeds maps input tensor index -> array. Returns all computed tensors."""
    vals = {}
    for t in model.tensors:
        if t.data is not None:
            vals[t.index] = t.dequantized().astype(np.float64) if np.issubdtype(t.dtype, np.floating) or len(t.scale) \
                else t.data
    for k, v in feeds.items():
        vals[k] = np.asarray(v, np.float64)
    for op in model.operators:
        a = [vals[i] if i >= 0 else None for i in op.inputs]
        o = op.options
        out_dtype = model.tensors[op.outputs[0]].dtype
        if op.op == 'CONV_2D':
            y = conv2d_nhwc(a[0], a[1], a[2] if len(a) > 2 else None, (o['stride_h'], o['stride_w']),
                            (o['dilation_h_factor'], o['dilation_w_factor']), o['padding'])
            res = [_activation(y, o['fused_activation_function'])]
        elif op.op == 'PAD':
            res = [np.pad(a[0], a[1].astype(np.int64))]
        elif op.op == 'PADV2':
            res = [np.pad(a[0], a[1].astype(np.int64), constant_values=float(a[2]))]
        elif op.op == 'TRANSPOSE':
            res = [np.transpose(a[0], a[1].astype(np.int64))]
        elif op.op == 'SPLIT':
            res = np.split(a[1], o['num_splits'], axis=int(a[0]))
        elif op.op == 'LEAKY_RELU':
            res = [np.where(a[0] >= 0, a[0], a[0] * o['alpha'])]
        elif op.op == 'SHAPE':
            res = [np.array(a[0].shape, np.int64)]
        elif op.op == 'STRIDED_SLICE':
            res = [strided_slice(a[0], a[1], a[2], a[3], o)]
        elif op.op == 'CAST':
            res = [a[0].astype(out_dtype)]
        elif op.op == 'MUL':
            res = [_activation(a[0] * a[1], o['fused_activation_function'])]
        elif op.op == 'ADD':
            res = [_activation(a[0] + a[1], o['fused_activation_function'])]
        elif op.op == 'RESIZE_BILINEAR':
            size = a[1].astype(np.int64)
            res = [resize_bilinear_nhwc(a[0], int(size[0]), int(size[1]), o['align_corners'],
                                        o['half_pixel_centers'])]
        elif op.op == 'CONCATENATION':
            res = [_activation(np.concatenate(a, axis=o['axis']), o['fused_activation_function'])]
        else:
            raise NotImplementedError('tflite operator %s' % op.op)
        if len(res) != len(op.outputs):
            raise ValueError('%s produced %d outputs, graph expects %d' % (op.op, len(res), len(op.outputs)))
        for idx, r in zip(op.outputs, res):
            if np.issubdtype(out_dtype, np.integer) and not np.issubdtype(np.asarray(r).dtype, np.integer):
                r = np.asarray(r).astype(out_dtype)  # CAST float -> int truncates toward zero, as TFLite does
            vals[idx] = r
    return vals
