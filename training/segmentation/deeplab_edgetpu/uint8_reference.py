"""An interpreter of the EdgeTPU-DeepLab tflite graph's uint8 kernels in numpy, written apart from the ONNX converter
(convert.py) so that it can serve as the converter's independent reference. It shares the FlatBuffer reader
(training/depth/tflite_reader.py) and the float64 convolution loop of training/depth/tflite_interpreter.py, which is
exact here because it is fed integers: (x - x_zero) * (w - w_zero) summed over at most 9 x 1280 taps stays below 2^53.

Integer semantics as TFLite's quantised reference kernels define them:
- CONV_2D / DEPTHWISE_CONV_2D: acc = sum (x - zx)(w - zw) + bias (padding contributes x = zx, i.e. 0); the output is
  zy + acc * M with M = sx * sw / sy applied as a Q31 fixed-point multiplier and a shift (rounding doubling high
  multiply, then rounding right shift), clamped to [0, 255], or [zy, 255] under a fused ReLU.
- ADD: both inputs moved to a common scale 2 * max(s1, s2) with a 20-bit left shift, added, scaled to the output, with
  the same fixed-point steps. Fixed-point multiplies round twice as TFLite's default build does, or once
  (--rounding single, TFLite's TFLITE_SINGLE_ROUNDING build).
- AVERAGE_POOL_2D: (sum + count / 2) / count in integers (input and output share their quantisation).
- QUANTIZE (uint8 -> uint8): zy + (x - zx) * sx / sy as a fixed-point multiplier.
- TILE, CONCATENATION of tensors with the output's own quantisation: copies.
- RESIZE_BILINEAR (uint8): source coordinates and weights in float32, the weighted sum in float32, and the conversion
  to uint8 by truncation (static_cast), as the reference kernel; --resize round gives the same sum rounded instead,
  and --resize float keeps the float sum of the dequantised logits (what the converter's qlinear graph does), so the
  effect of the last step on the labels can be measured apart from the integer trunk.
- ARG_MAX: the first index of the largest value.

Usage: /usr/bin/python3 training/segmentation/deeplab_edgetpu/uint8_reference.py DIR [--resize trunc round float]
  [--rounding double|single]
  reads DIR/*.u8 (513x513x3 uint8 letterboxed pixels) and writes DIR/<name>.ref-[single-]<resize>.labels (513x513 uint8)
  for each resize mode given."""
import argparse
import glob
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from deeplab_tflite import INPUT_SIZE, ROOT, load_model  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, 'training', 'depth'))
from tflite_interpreter import conv2d_nhwc  # noqa: E402


# --- fixed-point arithmetic (gemmlowp / TFLite semantics) ----------------------------------------------------------
def quantize_multiplier(m):
    """A positive real multiplier as (Q31 integer, power-of-two exponent): m = q * 2^(shift - 31)."""
    if m == 0:
        return 0, 0
    frac, shift = math.frexp(m)
    q = int(math.floor(abs(frac) * (1 << 31) + 0.5))  # round half away from zero (frac > 0)
    if q == (1 << 31):
        q //= 2
        shift += 1
    return q, shift


def _trunc_div(a, d):
    """Integer division rounding toward zero, as C does."""
    return np.where(a >= 0, a // d, -((-a) // d))


def srdhm(a, b):
    """SaturatingRoundingDoublingHighMul of int32 values (a int64 array, b a Q31 int)."""
    ab = a.astype(np.int64) * np.int64(b)
    nudge = np.where(ab >= 0, np.int64(1 << 30), np.int64(1 - (1 << 30)))
    return _trunc_div(ab + nudge, np.int64(1 << 31))


def rounding_divide_by_pot(x, exponent):
    """x / 2^exponent rounded to nearest, ties away from zero."""
    if exponent == 0:
        return x
    mask = np.int64((1 << exponent) - 1)
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0).astype(np.int64)
    return (x >> exponent) + (remainder > threshold).astype(np.int64)


# TFLite's default build rounds twice (the doubling high multiply, then the shift); its TFLITE_SINGLE_ROUNDING build
# rounds once, (x * q + 2^(n-1)) >> n with n = 31 - shift. set_rounding() picks one for the whole graph.
ROUNDING = {'mode': 'double'}


def set_rounding(mode):
    if mode not in ('double', 'single'):
        raise ValueError('rounding %s' % mode)
    ROUNDING['mode'] = mode


def multiply_by_quantized_multiplier(x, q, shift):
    if ROUNDING['mode'] == 'single':
        n = 31 - shift
        return (x.astype(np.int64) * np.int64(q) + np.int64(1 << (n - 1))) >> np.int64(n)
    left = max(shift, 0)
    right = max(-shift, 0)
    return rounding_divide_by_pot(srdhm(x * np.int64(1 << left), q), right)


# --- kernels --------------------------------------------------------------------------------------------------------
def qparams(t):
    if len(t.scale) != 1:
        raise ValueError('tensor %d (%s): expected per-tensor quantisation' % (t.index, t.name))
    return float(t.scale[0]), int(t.zero_point[0])


def activation_range(fused, zero_point):
    if fused == 'NONE':
        return 0, 255
    if fused == 'RELU':
        return max(0, zero_point), 255
    raise NotImplementedError('fused activation %s' % fused)


def requantize_acc(acc, real_multiplier, out_zero, lo, hi):
    q, shift = quantize_multiplier(real_multiplier)
    return np.clip(multiply_by_quantized_multiplier(acc, q, shift) + out_zero, lo, hi).astype(np.uint8)


def depthwise_nhwc(x, w, stride, dilation, padding):
    """Integer-valued depthwise convolution: x [1,H,W,C] float64, w [1,kh,kw,C]; SAME padding with zeros."""
    _, h, wd, c = x.shape
    _, kh, kw, _ = w.shape
    sh, sw = stride
    dh, dw = dilation

    def pads(size, k, s, d):
        eff = (k - 1) * d + 1
        out = -(-size // s)
        total = max((out - 1) * s + eff - size, 0)
        return out, total // 2, total - total // 2

    if padding != 'SAME':
        raise NotImplementedError('depthwise %s padding' % padding)
    ho, pt, pb = pads(h, kh, sh, dh)
    wo, pl, pr = pads(wd, kw, sw, dw)
    x = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    out = np.zeros((1, ho, wo, c), np.float64)
    for i in range(kh):
        for j in range(kw):
            out += x[:, i * dh:i * dh + (ho - 1) * sh + 1:sh, j * dw:j * dw + (wo - 1) * sw + 1:sw, :] * w[0, i, j, :]
    return out


def conv(m, op, vals, depthwise):
    x_t, w_t, b_t = (m.tensors[i] for i in op.inputs[:3])
    y_t = m.tensors[op.outputs[0]]
    sx, zx = qparams(x_t)
    sw, zw = qparams(w_t)
    sy, zy = qparams(y_t)
    o = op.options
    x = vals[x_t.index].astype(np.float64) - zx
    w = w_t.data.astype(np.float64) - zw
    stride = (o['stride_h'], o['stride_w'])
    dilation = (o['dilation_h_factor'], o['dilation_w_factor'])
    if depthwise:
        if o['depth_multiplier'] != 1:
            raise NotImplementedError('depth_multiplier %d' % o['depth_multiplier'])
        acc = depthwise_nhwc(x, w, stride, dilation, o['padding'])
    else:
        acc = conv2d_nhwc(x, w, None, stride, dilation, o['padding'])
    if np.abs(acc).max() >= 2 ** 53:
        raise ValueError('accumulator beyond exact float64 integers')
    acc = np.rint(acc).astype(np.int64) + b_t.data.astype(np.int64)
    lo, hi = activation_range(o['fused_activation_function'], zy)
    return requantize_acc(acc, float(np.float64(sx) * np.float64(sw) / np.float64(sy)), zy, lo, hi)


def add(m, op, vals):
    a_t, b_t = (m.tensors[i] for i in op.inputs)
    y_t = m.tensors[op.outputs[0]]
    s1, z1 = qparams(a_t)
    s2, z2 = qparams(b_t)
    sy, zy = qparams(y_t)
    left_shift = 20
    twice_max = 2.0 * max(s1, s2)
    q1, e1 = quantize_multiplier(s1 / twice_max)
    q2, e2 = quantize_multiplier(s2 / twice_max)
    qo, eo = quantize_multiplier(twice_max / ((1 << left_shift) * sy))
    for e in (e1, e2, eo):
        if e > 0:
            raise ValueError('ADD multiplier not below one')
    a = (vals[a_t.index].astype(np.int64) - z1) * (1 << left_shift)
    b = (vals[b_t.index].astype(np.int64) - z2) * (1 << left_shift)
    sa = multiply_by_quantized_multiplier(a, q1, e1)
    sb = multiply_by_quantized_multiplier(b, q2, e2)
    out = multiply_by_quantized_multiplier(sa + sb, qo, eo) + zy
    lo, hi = activation_range(op.options['fused_activation_function'], zy)
    return np.clip(out, lo, hi).astype(np.uint8)


def average_pool(m, op, vals):
    x_t, y_t = m.tensors[op.inputs[0]], m.tensors[op.outputs[0]]
    o = op.options
    if qparams(x_t) != qparams(y_t):
        raise NotImplementedError('AVERAGE_POOL_2D that requantises')
    _, h, w, _ = x_t.shape
    if (o['filter_height'], o['filter_width'], o['padding']) != (h, w, 'VALID'):
        raise NotImplementedError('AVERAGE_POOL_2D other than a global pool')
    count = h * w
    s = vals[x_t.index].astype(np.int64).sum(axis=(1, 2), keepdims=True)
    lo, hi = activation_range(o['fused_activation_function'], qparams(y_t)[1])
    return np.clip((s + count // 2) // count, lo, hi).astype(np.uint8)


def requantize(m, op, vals):
    x_t, y_t = m.tensors[op.inputs[0]], m.tensors[op.outputs[0]]
    sx, zx = qparams(x_t)
    sy, zy = qparams(y_t)
    return requantize_acc(vals[x_t.index].astype(np.int64) - zx, sx / sy, zy, 0, 255)


def resize_bilinear(m, op, vals, mode):
    x_t, size_t = (m.tensors[i] for i in op.inputs)
    o = op.options
    if o['half_pixel_centers']:
        raise NotImplementedError('half_pixel_centers')
    x = vals[x_t.index]
    _, ih, iw, _ = x.shape
    oh, ow = (int(v) for v in size_t.data)

    def axis(in_size, out_size):
        scale = np.float32(in_size) / np.float32(out_size)
        if o['align_corners'] and out_size > 1:
            scale = np.float32(in_size - 1) / np.float32(out_size - 1)
        src = np.arange(out_size, dtype=np.float32) * scale
        lo = np.maximum(np.floor(src).astype(np.int64), 0)
        hi = np.minimum(np.ceil(src).astype(np.int64), in_size - 1)
        return src, lo, hi

    ys, y0, y1 = axis(ih, oh)
    xs, x0, x1 = axis(iw, ow)
    dy = (ys - y0.astype(np.float32))[None, :, None, None]
    dx = (xs - x0.astype(np.float32))[None, None, :, None]
    one = np.float32(1)
    if mode == 'float' and x.dtype == np.uint8:
        s, z = qparams(x_t)
        xf = (x.astype(np.float32) - np.float32(z)) * np.float32(s)
    else:  # uint8 values, or logits already dequantised by the first (same-size) resize in float mode
        xf = x.astype(np.float32)
    a = xf[:, y0][:, :, x0]
    b = xf[:, y1][:, :, x0]
    c = xf[:, y0][:, :, x1]
    d = xf[:, y1][:, :, x1]
    v = a * (one - dy) * (one - dx) + b * dy * (one - dx) + c * (one - dy) * dx + d * dy * dx
    if mode == 'float':
        return v
    if mode == 'round':
        v = np.floor(v + np.float32(0.5))
    return np.clip(v, 0, 255).astype(np.uint8)  # trunc: static_cast of a non-negative float truncates


def run_ops(m, ops, vals, resize):
    """Run ops in order on vals (tensor index -> array), adding their outputs."""
    for op in ops:
        if op.op == 'CONV_2D':
            y = conv(m, op, vals, False)
        elif op.op == 'DEPTHWISE_CONV_2D':
            y = conv(m, op, vals, True)
        elif op.op == 'ADD':
            y = add(m, op, vals)
        elif op.op == 'AVERAGE_POOL_2D':
            y = average_pool(m, op, vals)
        elif op.op == 'TILE':
            y = np.tile(vals[op.inputs[0]], m.tensors[op.inputs[1]].data.astype(np.int64))
        elif op.op == 'QUANTIZE':
            y = requantize(m, op, vals)
        elif op.op == 'CONCATENATION':
            out_q = qparams(m.tensors[op.outputs[0]])
            if any(qparams(m.tensors[i]) != out_q for i in op.inputs) or op.options['axis'] not in (3, -1):
                raise NotImplementedError('CONCATENATION that requantises')
            y = np.concatenate([vals[i] for i in op.inputs], axis=3)
        elif op.op == 'RESIZE_BILINEAR':
            y = resize_bilinear(m, op, vals, resize)
        elif op.op == 'ARG_MAX':
            y = np.argmax(vals[op.inputs[0]], axis=int(m.tensors[op.inputs[1]].data))
        else:
            raise NotImplementedError('tflite operator %s' % op.op)
        if y.shape != m.tensors[op.outputs[0]].shape:
            raise ValueError('%s gave shape %s, graph says %s' % (op.op, y.shape, m.tensors[op.outputs[0]].shape))
        vals[op.outputs[0]] = y
    return vals


def run_uint8(m, pixels, resizes=('trunc',)):
    """pixels uint8 [513,513,3] -> {resize mode: labels uint8 [513,513]}; the integer trunk (every op before the first
    RESIZE_BILINEAR) runs once and the head once per mode."""
    head = next(i for i, op in enumerate(m.operators) if op.op == 'RESIZE_BILINEAR')
    trunk = run_ops(m, m.operators[:head], {m.inputs[0]: pixels.reshape(1, INPUT_SIZE, INPUT_SIZE, 3)}, None)
    out = {}
    for r in resizes:
        vals = run_ops(m, m.operators[head:], dict(trunk), r)
        out[r] = vals[m.outputs[0]][0].astype(np.uint8)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('dir')
    ap.add_argument('--resize', choices=['trunc', 'round', 'float'], nargs='+', default=['trunc'])
    ap.add_argument('--rounding', choices=['double', 'single'], default='double')
    a = ap.parse_args()
    set_rounding(a.rounding)
    m = load_model()
    files = sorted(glob.glob(os.path.join(a.dir, '*.u8')))
    if not files:
        sys.exit('uint8_reference: no *.u8 inputs in %s' % a.dir)
    for f in files:
        pixels = np.fromfile(f, np.uint8)
        if pixels.size != INPUT_SIZE * INPUT_SIZE * 3:
            sys.exit('uint8_reference: %s holds %d bytes, expected %d' % (f, pixels.size, INPUT_SIZE * INPUT_SIZE * 3))
        for r, labels in run_uint8(m, pixels.reshape(INPUT_SIZE, INPUT_SIZE, 3), a.resize).items():
            out = f[:-3] + '.ref-%s%s.labels' % ('' if a.rounding == 'double' else 'single-', r)
            labels.tofile(out)
            print(out, np.bincount(labels.ravel(), minlength=19).tolist())


if __name__ == '__main__':
    main()
