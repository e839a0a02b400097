"""Convert EdgeTPU-DeepLab-slim (Cityscapes, uint8 tflite, 513x513) to ONNX, writing the graph directly with the
onnx package from the tflite operators (read by training/depth/tflite_reader.py).

Interface, the same as the station's ESPNetv2 graphs: input 'image' float32 [1,3,513,513], RGB in 0..1; output
'labels' uint8 [1,513,513], the Cityscapes train id (0 road .. 18 bicycle) at every input pixel. The tflite input is
the pixel value p = round(255 * image) as uint8 with scale 1/128 and zero point 128.

Two ways to carry the uint8 arithmetic (--mode):
  float  weights dequantised (scale * (q - zero_point)), int32 biases times their scale, activations float32. Every
         activation is clamped to the range its uint8 tensor can hold (a Clip that onnxruntime fuses into the
         convolution), but not rounded to the uint8 grid, so labels can differ from the uint8 graph.
  qlinear the uint8 graph itself: QLinearConv (weights moved to int8 by subtracting 128 from values and zero point,
         the same integers), com.microsoft QLinearAdd / QLinearGlobalAveragePool / QLinearConcat, requantisation by
         DequantizeLinear + QuantizeLinear. Only the last step leaves the uint8 grid: the 33x33 logits are dequantised
         and resized in float (bilinear, align_corners, as the tflite RESIZE_BILINEAR) before the argmax, where the
         tflite graph resizes in uint8 (so ties between classes differ; see docs/bench/segmentation-deeplab.md);
         --head trunc resizes the uint8 values and truncates instead, as TFLite's reference kernel.

Usage: /usr/bin/python3 training/segmentation/deeplab_edgetpu/convert.py --mode float|qlinear [--head float|trunc]
  --out /tmp/deeplab/deeplab_float.onnx"""
import argparse
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from deeplab_tflite import INPUT_SIZE, NUM_CLASSES, TFLITE, load_model  # noqa: E402

OPSET = 17


def same_pads(size, k, s, d):
    """TFLite SAME padding (the odd pixel after): (before, after)."""
    eff = (k - 1) * d + 1
    out = -(-size // s)
    total = max((out - 1) * s + eff - size, 0)
    return total // 2, total - total // 2


class Converter:
    def __init__(self, model, mode, head='float', size=(INPUT_SIZE, INPUT_SIZE)):
        self.m = model
        self.mode = mode
        self.head = head
        self.size = size  # input (height, width); the tflite graph's own is 513x513
        self.hw = {}  # tflite tensor index -> its (height, width) at this input size
        self.pooled_hw = None  # size of the map that the image pooling averages (the tiled map's size)
        self.nodes = []
        self.inits = []
        self.names = {}  # tflite tensor index -> ONNX name (NCHW; uint8 in qlinear mode, float in float mode)
        self.n = 0

    def fresh(self, base):
        self.n += 1
        return '%s_%d' % (base, self.n)

    def const(self, arr, base):
        name = self.fresh(base)
        # np.ascontiguousarray would turn a 0-d scale into shape [1], which QLinear ops refuse
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(arr).reshape(np.shape(arr)), name))
        return name

    def node(self, op, inputs, base, domain=None, **attrs):
        out = self.fresh(base)
        kw = {'domain': domain} if domain else {}
        self.nodes.append(helper.make_node(op, inputs, [out], **kw, **attrs))
        return out

    def t(self, i):
        return self.m.tensors[i]

    def qparams(self, i):
        """ONNX scale and zero-point initialisers of a uint8 tflite tensor."""
        t = self.t(i)
        if t.dtype != np.uint8 or len(t.scale) != 1:
            raise ValueError('tensor %d (%s): expected per-tensor uint8, got %s with %d scales'
                             % (i, t.name, np.dtype(t.dtype).name, len(t.scale)))
        return (self.const(np.array(float(t.scale[0]), np.float32).reshape(()), 's'),
                self.const(np.array(int(t.zero_point[0]), np.uint8).reshape(()), 'zp'))

    def qrange(self, i, fused):
        """The float range a uint8 tensor can hold, narrowed by a fused activation."""
        t = self.t(i)
        lo = (0 - float(t.zero_point[0])) * float(t.scale[0])
        hi = (255 - float(t.zero_point[0])) * float(t.scale[0])
        if fused == 'RELU':
            lo = max(lo, 0.0)
        elif fused == 'RELU6':
            lo, hi = max(lo, 0.0), min(hi, 6.0)
        elif fused != 'NONE':
            raise NotImplementedError('fused activation %s' % fused)
        return lo, hi

    def clip(self, x, i, fused):
        lo, hi = self.qrange(i, fused)
        return self.node('Clip', [x, self.const(np.array(lo, np.float32), 'lo'),
                                  self.const(np.array(hi, np.float32), 'hi')], 'clip')

    def check_fused_in_range(self, out, fused):
        """qlinear mode: a fused RELU is exact only when the output's zero point is 0 (uint8 saturation is the ReLU)."""
        t = self.t(out)
        if fused == 'RELU' and t.zero_point[0] != 0:
            raise NotImplementedError('tensor %d: fused RELU with output zero point %d' % (out, t.zero_point[0]))
        if fused not in ('NONE', 'RELU'):
            raise NotImplementedError('fused activation %s in qlinear mode' % fused)

    # --- graph input ---------------------------------------------------------------------------------------------
    def input(self):
        i = self.m.inputs[0]
        t = self.t(i)
        if self.mode == 'float':
            # (p - zp) * s with p = 255 * image
            s, z = float(t.scale[0]), float(t.zero_point[0])
            x = self.node('Mul', ['image', self.const(np.array(255.0 * s, np.float32), 'k')], 'in')
            self.names[i] = self.node('Add', [x, self.const(np.array(-z * s, np.float32), 'k')], 'in')
        else:
            # p = round(255 * image) (exact for images that came from 8-bit pixels), as the tflite uint8 input
            self.names[i] = self.node('QuantizeLinear', ['image', self.const(np.array(1 / 255, np.float32), 's'),
                                                         self.const(np.array(0, np.uint8), 'zp')], 'in')
        self.hw[i] = self.size

    # --- operators -----------------------------------------------------------------------------------------------
    def conv(self, op, depthwise):
        x_i, w_i, b_i = op.inputs[:3]
        out = op.outputs[0]
        o = op.options
        w = self.t(w_i)
        h, wd = self.hw[x_i]
        _, kh, kw, _ = w.shape
        sh, sw, dh, dw = o['stride_h'], o['stride_w'], o['dilation_h_factor'], o['dilation_w_factor']
        if o['padding'] == 'SAME':
            pt, pb = same_pads(h, kh, sh, dh)
            pl, pr = same_pads(wd, kw, sw, dw)
            self.hw[out] = (-(-h // sh), -(-wd // sw))
        else:
            pt = pb = pl = pr = 0
            self.hw[out] = ((h - (kh - 1) * dh - 1) // sh + 1, (wd - (kw - 1) * dw - 1) // sw + 1)
        attrs = dict(kernel_shape=[kh, kw], strides=[sh, sw], dilations=[dh, dw], pads=[pt, pl, pb, pr])
        if depthwise:
            if o['depth_multiplier'] != 1:
                raise NotImplementedError('depth_multiplier %d' % o['depth_multiplier'])
            attrs['group'] = w.shape[3]
            w_nchw = lambda a: np.transpose(a, (3, 0, 1, 2))  # [1,kh,kw,C] -> [C,1,kh,kw]
        else:
            w_nchw = lambda a: np.transpose(a, (0, 3, 1, 2))  # [O,kh,kw,I] -> [O,I,kh,kw]
        b = self.t(b_i)
        if self.mode == 'float':
            wf = w_nchw(w.dequantized())
            bf = (b.data.astype(np.float64) * float(b.scale[0])).astype(np.float32)
            y = self.node('Conv', [self.names[x_i], self.const(wf, 'w'), self.const(bf, 'b')], 'conv', **attrs)
            self.names[out] = self.clip(y, out, o['fused_activation_function'])
        else:
            self.check_fused_in_range(out, o['fused_activation_function'])
            # uint8 weights with zero point z -> int8 weights q - 128 with zero point z - 128: the same differences
            wq = w_nchw((w.data.astype(np.int16) - 128).astype(np.int8))
            wz = np.array(int(w.zero_point[0]) - 128, np.int8)
            if b.zero_point.size and b.zero_point[0] != 0:
                raise ValueError('bias %d has zero point %d' % (b_i, b.zero_point[0]))
            xs, xz = self.qparams(x_i)
            ys, yz = self.qparams(out)
            self.names[out] = self.node('QLinearConv', [
                self.names[x_i], xs, xz, self.const(wq, 'w'), self.const(np.array(float(w.scale[0]), np.float32).reshape(()), 'ws'),
                self.const(wz, 'wz'), ys, yz, self.const(b.data.astype(np.int32), 'b')], 'qconv', **attrs)

    def add(self, op):
        a, b = op.inputs
        out = op.outputs[0]
        self.hw[out] = self.hw[a]
        if self.mode == 'float':
            y = self.node('Add', [self.names[a], self.names[b]], 'add')
            self.names[out] = self.clip(y, out, op.options['fused_activation_function'])
        else:
            self.check_fused_in_range(out, op.options['fused_activation_function'])
            self.names[out] = self.node('QLinearAdd', [self.names[a], *self.qparams(a), self.names[b], *self.qparams(b),
                                                       *self.qparams(out)], 'qadd', domain='com.microsoft')

    def average_pool(self, op):
        x_i, out = op.inputs[0], op.outputs[0]
        o = op.options
        _, h, w, _ = self.t(x_i).shape
        if not (o['filter_height'] == h and o['filter_width'] == w and o['padding'] == 'VALID'):
            raise NotImplementedError('AVERAGE_POOL_2D other than a global pool')
        # a pool over the whole map in the tflite graph stays one at other input sizes (the image pooling branch)
        self.pooled_hw = self.hw[x_i]
        self.hw[out] = (1, 1)
        if self.mode == 'float':
            y = self.node('GlobalAveragePool', [self.names[x_i]], 'gap')
            self.names[out] = self.clip(y, out, o['fused_activation_function'])
        else:
            self.check_fused_in_range(out, o['fused_activation_function'])
            self.names[out] = self.node('QLinearGlobalAveragePool', [self.names[x_i], *self.qparams(x_i),
                                                                     *self.qparams(out)], 'qgap',
                                        domain='com.microsoft', channels_last=0)

    def tile(self, op):
        x_i, mult_i = op.inputs
        out = op.outputs[0]
        shape = self.t(out).shape  # NHWC
        if tuple(self.t(x_i).shape) != (1, 1, 1, shape[3]):
            raise NotImplementedError('TILE of other than a 1x1 map')
        if tuple(shape[1:3]) != tuple(self.t(x_i).shape[1:3]) and self.pooled_hw is None:
            raise NotImplementedError('TILE before the image pooling')
        self.hw[out] = self.pooled_hw  # the pooled value spread back over the map it was pooled from
        target = np.array([shape[0], shape[3], *self.hw[out]], np.int64)
        # A tiled 1x1 map is the same values broadcast; the tensor keeps its quantisation (TILE does not requantise).
        self.names[out] = self.node('Expand', [self.names[x_i], self.const(target, 'shape')], 'expand')

    def requantize(self, op):
        x_i, out = op.inputs[0], op.outputs[0]
        self.hw[out] = self.hw[x_i]
        if self.mode == 'float':
            self.names[out] = self.clip(self.names[x_i], out, 'NONE')
        else:
            f = self.node('DequantizeLinear', [self.names[x_i], *self.qparams(x_i)], 'dq')
            self.names[out] = self.node('QuantizeLinear', [f, *self.qparams(out)], 'q')

    def concat(self, op):
        out = op.outputs[0]
        axis = op.options['axis']
        if axis not in (3, -1):
            raise NotImplementedError('CONCATENATION on axis %d' % axis)
        if len({self.hw[i] for i in op.inputs}) != 1:
            raise ValueError('CONCATENATION of maps of different sizes %s' % [self.hw[i] for i in op.inputs])
        self.hw[out] = self.hw[op.inputs[0]]
        if self.mode == 'float':
            y = self.node('Concat', [self.names[i] for i in op.inputs], 'concat', axis=1)
            self.names[out] = self.clip(y, out, op.options['fused_activation_function'])
        else:
            self.check_fused_in_range(out, op.options['fused_activation_function'])
            ins = []
            for i in op.inputs:
                ins += [self.names[i], *self.qparams(i)]
            self.names[out] = self.node('QLinearConcat', [*self.qparams(out), *ins], 'qconcat', domain='com.microsoft',
                                        axis=1)

    def resize(self, op):
        x_i, size_i = op.inputs
        out = op.outputs[0]
        o = op.options
        size = self.t(size_i).data.astype(np.int64)
        in_shape = self.t(x_i).shape
        x = self.names[x_i]
        graph_in = self.t(self.m.inputs[0]).shape[1:3]
        if tuple(size) == tuple(in_shape[1:3]):
            self.hw[out] = self.hw[x_i]  # a resize to the map's own size, at any input size
        elif tuple(size) == tuple(graph_in):
            self.hw[out] = self.size  # the final upsampling to the input size
            size = np.array(self.size, np.int64)
        else:
            raise NotImplementedError('RESIZE_BILINEAR to %s' % (tuple(size),))
        in_hw = self.hw[x_i]
        if self.mode == 'qlinear':
            if self.t(out).scale[0] != self.t(x_i).scale[0] or self.t(out).zero_point[0] != self.t(x_i).zero_point[0]:
                raise NotImplementedError('RESIZE_BILINEAR that requantises')
            if tuple(self.hw[out]) == tuple(in_hw) and o['align_corners']:
                self.names[out] = x  # same size with align_corners: every output sample is an input sample
                return
            if self.head == 'trunc':
                # the uint8 values themselves, resized in float32 and truncated like TFLite's reference kernel: at
                # 33 -> 513 with align_corners every weight is a multiple of 1/256, so the float32 sum is exact and
                # Floor gives the kernel's integer whatever the order of summation
                x = self.node('Cast', [x], 'cast', to=TensorProto.FLOAT)
            else:
                # the final upsampling in float on the dequantised logits (see the module docstring)
                x = self.node('DequantizeLinear', [x, *self.qparams(x_i)], 'dq')
        elif tuple(self.hw[out]) == tuple(in_hw) and o['align_corners']:
            self.names[out] = x
            return
        if o['half_pixel_centers']:
            mode = 'half_pixel'
        elif o['align_corners']:
            mode = 'align_corners'
        else:
            mode = 'asymmetric'
        sizes = np.array([in_shape[0], in_shape[3], int(size[0]), int(size[1])], np.int64)
        self.names[out] = self.node('Resize', [x, '', '', self.const(sizes, 'sizes')], 'resize', mode='linear',
                                    coordinate_transformation_mode=mode)
        if self.mode == 'qlinear' and self.head == 'trunc':
            if (int(size[0]) - 1) % (in_hw[0] - 1) or (int(size[1]) - 1) % (in_hw[1] - 1) \
                    or not o['align_corners']:
                raise NotImplementedError('--head trunc needs an align_corners resize by an integer factor')
            self.names[out] = self.node('Floor', [self.names[out]], 'floor')

    def argmax(self, op):
        x_i, axis_i = op.inputs
        axis = int(self.t(axis_i).data)
        if axis not in (3, -1):
            raise NotImplementedError('ARG_MAX on axis %d' % axis)
        y = self.node('ArgMax', [self.names[x_i]], 'argmax', axis=1, keepdims=0)
        self.nodes.append(helper.make_node('Cast', [y], ['labels'], to=TensorProto.UINT8))
        self.names[op.outputs[0]] = 'labels'

    def convert(self):
        self.input()
        for op in self.m.operators:
            if op.op == 'CONV_2D':
                self.conv(op, False)
            elif op.op == 'DEPTHWISE_CONV_2D':
                self.conv(op, True)
            elif op.op == 'ADD':
                self.add(op)
            elif op.op == 'AVERAGE_POOL_2D':
                self.average_pool(op)
            elif op.op == 'TILE':
                self.tile(op)
            elif op.op == 'QUANTIZE':
                self.requantize(op)
            elif op.op == 'CONCATENATION':
                self.concat(op)
            elif op.op == 'RESIZE_BILINEAR':
                self.resize(op)
            elif op.op == 'ARG_MAX':
                self.argmax(op)
            else:
                raise NotImplementedError('tflite operator %s' % op.op)
        if self.names.get(self.m.outputs[0]) != 'labels':
            raise ValueError('the graph does not end in ARG_MAX')
        graph = helper.make_graph(
            self.nodes, 'deeplab_edgetpu_slim_city_%s' % self.mode,
            [helper.make_tensor_value_info('image', TensorProto.FLOAT, [1, 3, *self.size])],
            [helper.make_tensor_value_info('labels', TensorProto.UINT8, [1, *self.size])], self.inits)
        opsets = [helper.make_opsetid('', OPSET)]
        if self.mode == 'qlinear':
            opsets.append(helper.make_opsetid('com.microsoft', 1))
        model = helper.make_model(graph, opset_imports=opsets, producer_name='gsc deeplab_edgetpu/convert.py')
        model.ir_version = 8
        model.doc_string = ('EdgeTPU-DeepLab-slim Cityscapes (%d classes) from %s, %s mode, input %dx%d (WxH)'
                            % (NUM_CLASSES, os.path.basename(TFLITE), self.mode, self.size[1], self.size[0]))
        return model


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--tflite', default=TFLITE)
    ap.add_argument('--mode', choices=['float', 'qlinear'], default='float')
    ap.add_argument('--head', choices=['float', 'trunc'], default='float',
                    help='qlinear mode: the final resize on dequantised logits (float) or on the uint8 values with '
                         'truncation, as the tflite kernel (trunc)')
    ap.add_argument('--size', default='%dx%d' % (INPUT_SIZE, INPUT_SIZE),
                    help='input WxH (default the tflite graph\'s 513x513); the network is fully convolutional, its image '
                         'pooling stays global, and the logits are upsampled to the input size')
    ap.add_argument('--out', required=True)
    a = ap.parse_args()
    try:
        width, height = (int(v) for v in a.size.lower().split('x'))
    except ValueError:
        sys.exit('convert: --size must be WxH, got %r' % a.size)
    if a.head == 'trunc' and a.mode != 'qlinear':
        sys.exit('convert: --head trunc applies to --mode qlinear only')
    model = Converter(load_model(a.tflite), a.mode, a.head, (height, width)).convert()
    if a.mode == 'float':
        onnx.checker.check_model(model)
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    onnx.save(model, a.out)
    print('wrote %s (%d nodes, %d bytes)' % (a.out, len(model.graph.node), os.path.getsize(a.out)))


if __name__ == '__main__':
    main()
