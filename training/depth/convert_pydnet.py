"""Convert mobile PyDNet (../shared/data/weights/depth/mobile_pydnet_pruned35.tflite) to ONNX, writing the graph
directly with the onnx package from the tflite operators (read by tflite_reader.py).

The tflite file came from PyTorch through ONNX and TensorFlow, so it is NCHW wrapped in NHWC: every convolution sits
between TRANSPOSE ops, and the 2x upsampling sizes are computed at run time (SHAPE, STRIDED_SLICE, CAST, MUL, CAST).
The converter keeps every 4-D tensor physically NCHW and tracks, per tflite tensor, the permutation that maps the
physical layout to the tflite (logical) one, so TRANSPOSE and one-way SPLIT cost nothing; a zero PAD feeding a VALID
convolution becomes the convolution's own pads; the shape chain is evaluated at conversion time for the model's fixed
input [1,3,192,640]. Int8 weights are dequantised per output channel (scale * (q - zero_point), in float64, stored as
float32).

Output: the raw regressor output [1,1,96,320], exactly the tflite graph's output tensor. In this model that output is
NEGATIVE and decreases with inverse depth; src/core/analysis/depth.ts takes -output as relative inverse depth (see
docs/results/depth/README.md for how that was decided).

Usage: /usr/bin/python3 training/depth/convert_pydnet.py [--out resources/models/pydnet_mobile.onnx]"""
import argparse
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from tflite_reader import read_tflite  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(HERE))
TFLITE = os.path.normpath(os.path.join(ROOT, '..', 'shared', 'data', 'weights', 'depth', 'mobile_pydnet_pruned35.tflite'))
OPSET = 17
NCHW_AS_NHWC = (0, 2, 3, 1)  # logical NHWC = physical NCHW transposed by this
IDENTITY = (0, 1, 2, 3)


class Value:
    """A tflite tensor as the ONNX graph holds it: name of the physical tensor, physical shape, permutation with
    logical = physical.transpose(perm), and an optional pending zero pad (logical pads [[before, after]] per dim)."""

    def __init__(self, name, shape, perm, pad=None):
        self.name = name
        self.shape = tuple(shape)
        self.perm = tuple(perm)
        self.pad = pad

    @property
    def logical_shape(self):
        s = tuple(self.shape[p] for p in self.perm)
        if self.pad is not None:
            s = tuple(d + int(a) + int(b) for d, (a, b) in zip(s, self.pad))
        return s


class Converter:
    def __init__(self, model):
        self.m = model
        self.nodes = []
        self.inits = []
        self.vals = {}  # tflite tensor index -> Value (activations) or np.ndarray (constants / folded shapes)
        self.n = 0

    def fresh(self, base):
        self.n += 1
        return '%s_%d' % (base, self.n)

    def const(self, arr, base):
        name = self.fresh(base)
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def materialise(self, v):
        """Emit the pending zero pad of v (in physical axes) and return a Value without one."""
        if v.pad is None:
            return v
        phys = [[0, 0] for _ in v.shape]
        for k, p in enumerate(v.perm):
            phys[p] = [int(v.pad[k][0]), int(v.pad[k][1])]
        pads = np.array([a for a, _ in phys] + [b for _, b in phys], np.int64)
        out = self.fresh('pad')
        self.nodes.append(helper.make_node('Pad', [v.name, self.const(pads, 'pads')], [out], mode='constant'))
        return Value(out, [d + a + b for d, (a, b) in zip(v.shape, phys)], v.perm)

    def to_perm(self, v, perm):
        """v with its physical layout changed so that logical = physical.transpose(perm)."""
        v = self.materialise(v)
        if v.perm == tuple(perm):
            return v
        # physical_new = logical.transpose(inverse(perm)) = physical_old.transpose(v.perm).transpose(inv(perm))
        inv = np.argsort(perm)
        onnx_perm = [v.perm[i] for i in inv]
        out = self.fresh('transpose')
        self.nodes.append(helper.make_node('Transpose', [v.name], [out], perm=onnx_perm))
        return Value(out, [v.shape[p] for p in onnx_perm], perm)

    def convert(self):
        m = self.m
        for t in m.tensors:
            if t.data is not None:
                self.vals[t.index] = t.dequantized() if (np.issubdtype(t.dtype, np.floating) or len(t.scale)) else t.data
        (inp,) = m.inputs
        in_t = m.tensors[inp]
        self.vals[inp] = Value('image', in_t.shape, IDENTITY)
        for op in m.operators:
            getattr(self, 'op_' + op.op.lower())(op)
        (outp,) = m.outputs
        v = self.to_perm(self.vals[outp], IDENTITY)
        out_shape = v.shape
        self.nodes.append(helper.make_node('Identity', [v.name], ['inverse_depth_raw']))
        graph = helper.make_graph(
            self.nodes, 'mobile_pydnet',
            [helper.make_tensor_value_info('image', TensorProto.FLOAT, list(in_t.shape))],
            [helper.make_tensor_value_info('inverse_depth_raw', TensorProto.FLOAT, list(out_shape))],
            self.inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', OPSET)], producer_name='gsc-convert_pydnet')
        model.ir_version = 8
        onnx.checker.check_model(model)
        return model

    # --- layout-only and shape operators --------------------------------------------------------------------------
    def op_transpose(self, op):
        v = self.vals[op.inputs[0]]
        q = [int(i) for i in self.vals[op.inputs[1]]]
        if v.pad is not None:
            self.vals[op.outputs[0]] = Value(v.name, v.shape, [v.perm[i] for i in q], [v.pad[i] for i in q])
        else:
            self.vals[op.outputs[0]] = Value(v.name, v.shape, [v.perm[i] for i in q])

    def op_split(self, op):
        if op.options['num_splits'] != 1:
            raise NotImplementedError('SPLIT into %d parts' % op.options['num_splits'])
        self.vals[op.outputs[0]] = self.vals[op.inputs[1]]

    def op_shape(self, op):
        self.vals[op.outputs[0]] = np.array(self.vals[op.inputs[0]].logical_shape, np.int64)

    def op_strided_slice(self, op):
        x, b, e, s = (self.vals[i] for i in op.inputs)
        o = op.options
        if not isinstance(x, np.ndarray) or x.ndim != 1 or o['shrink_axis_mask'] or o['ellipsis_mask'] or o['new_axis_mask']:
            raise NotImplementedError('STRIDED_SLICE other than a 1-D slice of a constant')
        lo = None if o['begin_mask'] & 1 else int(b[0])
        hi = None if o['end_mask'] & 1 else int(e[0])
        self.vals[op.outputs[0]] = x[lo:hi:int(s[0])]

    def op_cast(self, op):
        x = self.vals[op.inputs[0]]
        if not isinstance(x, np.ndarray):
            raise NotImplementedError('CAST of an activation')
        self.vals[op.outputs[0]] = x.astype(self.m.tensors[op.outputs[0]].dtype)

    def op_mul(self, op):
        a, b = (self.vals[i] for i in op.inputs)
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)) or op.options['fused_activation_function'] != 'NONE':
            raise NotImplementedError('MUL of activations')
        self.vals[op.outputs[0]] = a * b

    # --- compute operators ------------------------------------------------------------------------------------------
    def op_pad(self, op):
        v = self.materialise(self.vals[op.inputs[0]])
        pads = self.vals[op.inputs[1]].astype(np.int64)
        self.vals[op.outputs[0]] = Value(v.name, v.shape, v.perm, [tuple(p) for p in pads])

    def op_padv2(self, op):
        if float(self.vals[op.inputs[2]]) != 0.0:
            raise NotImplementedError('PADV2 with a non-zero value')
        self.op_pad(op)

    def op_conv_2d(self, op):
        o = op.options
        v = self.vals[op.inputs[0]]
        pads = [0, 0, 0, 0]
        if o['padding'] == 'VALID' and v.pad is not None and v.perm == NCHW_AS_NHWC and \
                tuple(v.pad[0]) == (0, 0) and tuple(v.pad[3]) == (0, 0):
            (pt, pb), (pl, pr) = v.pad[1], v.pad[2]
            pads = [int(pt), int(pl), int(pb), int(pr)]
            v = Value(v.name, v.shape, v.perm)
        elif o['padding'] != 'VALID':
            raise NotImplementedError('CONV_2D with %s padding' % o['padding'])
        v = self.to_perm(v, NCHW_AS_NHWC)
        w = self.vals[op.inputs[1]]  # [O, kh, kw, I]
        b = self.vals[op.inputs[2]] if len(op.inputs) > 2 and op.inputs[2] >= 0 else None
        ins = [v.name, self.const(np.transpose(w, (0, 3, 1, 2)).astype(np.float32), 'conv_w')]
        if b is not None:
            ins.append(self.const(b.astype(np.float32), 'conv_b'))
        out = self.fresh('conv')
        self.nodes.append(helper.make_node('Conv', ins, [out], kernel_shape=list(w.shape[1:3]),
                                           strides=[o['stride_h'], o['stride_w']], pads=pads,
                                           dilations=[o['dilation_h_factor'], o['dilation_w_factor']]))
        n, c, h, wd = v.shape
        ho = (h + pads[0] + pads[2] - ((w.shape[1] - 1) * o['dilation_h_factor'] + 1)) // o['stride_h'] + 1
        wo = (wd + pads[1] + pads[3] - ((w.shape[2] - 1) * o['dilation_w_factor'] + 1)) // o['stride_w'] + 1
        act = o['fused_activation_function']
        if act == 'RELU':
            r = self.fresh('relu')
            self.nodes.append(helper.make_node('Relu', [out], [r]))
            out = r
        elif act != 'NONE':
            raise NotImplementedError('CONV_2D fused %s' % act)
        self.vals[op.outputs[0]] = Value(out, (n, w.shape[0], ho, wo), NCHW_AS_NHWC)

    def op_leaky_relu(self, op):
        v = self.materialise(self.vals[op.inputs[0]])
        out = self.fresh('lrelu')
        self.nodes.append(helper.make_node('LeakyRelu', [v.name], [out], alpha=float(op.options['alpha'])))
        self.vals[op.outputs[0]] = Value(out, v.shape, v.perm)

    def op_resize_bilinear(self, op):
        o = op.options
        if o['half_pixel_centers']:
            raise NotImplementedError('RESIZE_BILINEAR with half_pixel_centers')
        v = self.to_perm(self.vals[op.inputs[0]], NCHW_AS_NHWC)  # tflite resizes axes 1, 2 of NHWC
        size = self.vals[op.inputs[1]]
        if not isinstance(size, np.ndarray):
            raise NotImplementedError('RESIZE_BILINEAR with a size that is not known at conversion time')
        oh, ow = int(size[0]), int(size[1])
        n, c = v.shape[:2]
        sizes = self.const(np.array([n, c, oh, ow], np.int64), 'resize_sizes')
        out = self.fresh('resize')
        mode = 'align_corners' if o['align_corners'] else 'asymmetric'
        self.nodes.append(helper.make_node('Resize', [v.name, '', '', sizes], [out], mode='linear',
                                           coordinate_transformation_mode=mode))
        self.vals[op.outputs[0]] = Value(out, (n, c, oh, ow), NCHW_AS_NHWC)

    def op_concatenation(self, op):
        vs = [self.vals[i] for i in op.inputs]
        perm = vs[0].perm
        vs = [self.to_perm(v, perm) for v in vs]
        axis = perm[op.options['axis']]
        out = self.fresh('concat')
        self.nodes.append(helper.make_node('Concat', [v.name for v in vs], [out], axis=axis))
        shape = list(vs[0].shape)
        shape[axis] = sum(v.shape[axis] for v in vs)
        if op.options['fused_activation_function'] != 'NONE':
            raise NotImplementedError('CONCATENATION with a fused activation')
        self.vals[op.outputs[0]] = Value(out, shape, perm)


def convert(tflite_path=TFLITE):
    return Converter(read_tflite(tflite_path)).convert()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--tflite', default=TFLITE)
    ap.add_argument('--out', default=os.path.join(ROOT, 'resources', 'models', 'pydnet_mobile.onnx'))
    a = ap.parse_args()
    model = convert(a.tflite)
    onnx.save(model, a.out)
    print('wrote %s (%d nodes, %d bytes)' % (a.out, len(model.graph.node), os.path.getsize(a.out)))


if __name__ == '__main__':
    main()
