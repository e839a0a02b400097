"""A reader of .tflite files (TensorFlow Lite FlatBuffers), written against the published schema
(tensorflow/lite/schema/schema.fbs) without generated code, for the few tables a converter needs:
Model, OperatorCode, SubGraph, Tensor, QuantizationParameters, Operator, Buffer, and the builtin options of the
operators listed in OPTION_FIELDS. Nothing here interprets the graph; see tflite_interpreter.py and convert_pydnet.py.

FlatBuffer layout in brief: little-endian; a table starts with an int32 soffset to its vtable (vtable = table - soffset);
the vtable is uint16 [vtable bytes, table bytes, field offsets...]; a field offset 0 means "absent, use the default";
references (tables, vectors, strings) are uint32 offsets relative to where they are stored; a vector is a uint32
length followed by its elements; a union is a ubyte type field followed by a table reference field."""
import struct

import numpy as np

# TensorType enum -> numpy dtype
TENSOR_TYPES = {0: np.float32, 1: np.float16, 2: np.int32, 3: np.uint8, 4: np.int64, 6: np.bool_, 7: np.int16,
                9: np.int8, 10: np.float64}

# BuiltinOperator enum values of the operators this project knows (schema.fbs numbering).
BUILTIN_NAMES = {0: 'ADD', 1: 'AVERAGE_POOL_2D', 2: 'CONCATENATION', 3: 'CONV_2D', 4: 'DEPTHWISE_CONV_2D',
                 6: 'DEQUANTIZE', 14: 'LOGISTIC', 17: 'MAX_POOL_2D', 18: 'MUL', 19: 'RELU', 21: 'RELU6',
                 22: 'RESHAPE', 23: 'RESIZE_BILINEAR', 28: 'TANH', 34: 'PAD', 39: 'TRANSPOSE', 41: 'SUB',
                 42: 'DIV', 43: 'SQUEEZE', 45: 'STRIDED_SLICE', 49: 'SPLIT', 53: 'CAST', 56: 'ARG_MAX', 60: 'PADV2',
                 67: 'TRANSPOSE_CONV', 69: 'TILE', 77: 'SHAPE', 97: 'RESIZE_NEAREST_NEIGHBOR', 98: 'LEAKY_RELU',
                 100: 'MIRROR_PAD', 114: 'QUANTIZE'}

# Builtin options tables: field names in schema order (field i is vtable slot i) with (struct format, default).
# 'b' = byte/enum, 'i' = int32, 'f' = float32, '?' = bool.
OPTION_FIELDS = {
    'CONV_2D': [('padding', 'b', 0), ('stride_w', 'i', 0), ('stride_h', 'i', 0), ('fused_activation_function', 'b', 0),
                ('dilation_w_factor', 'i', 1), ('dilation_h_factor', 'i', 1)],
    'DEPTHWISE_CONV_2D': [('padding', 'b', 0), ('stride_w', 'i', 0), ('stride_h', 'i', 0), ('depth_multiplier', 'i', 0),
                          ('fused_activation_function', 'b', 0), ('dilation_w_factor', 'i', 1),
                          ('dilation_h_factor', 'i', 1)],
    'TRANSPOSE_CONV': [('padding', 'b', 0), ('stride_w', 'i', 0), ('stride_h', 'i', 0),
                       ('fused_activation_function', 'b', 0)],
    'ADD': [('fused_activation_function', 'b', 0)],
    'SUB': [('fused_activation_function', 'b', 0)],
    'MUL': [('fused_activation_function', 'b', 0)],
    'DIV': [('fused_activation_function', 'b', 0)],
    'CONCATENATION': [('axis', 'i', 0), ('fused_activation_function', 'b', 0)],
    'RESIZE_BILINEAR': [('new_height', 'i', 0), ('new_width', 'i', 0), ('align_corners', '?', False),
                        ('half_pixel_centers', '?', False)],
    'RESIZE_NEAREST_NEIGHBOR': [('align_corners', '?', False), ('half_pixel_centers', '?', False)],
    'LEAKY_RELU': [('alpha', 'f', 0.0)],
    'AVERAGE_POOL_2D': [('padding', 'b', 0), ('stride_w', 'i', 0), ('stride_h', 'i', 0), ('filter_width', 'i', 0),
                        ('filter_height', 'i', 0), ('fused_activation_function', 'b', 0)],
    'MAX_POOL_2D': [('padding', 'b', 0), ('stride_w', 'i', 0), ('stride_h', 'i', 0), ('filter_width', 'i', 0),
                    ('filter_height', 'i', 0), ('fused_activation_function', 'b', 0)],
    'MIRROR_PAD': [('mode', 'b', 0)],
    'SPLIT': [('num_splits', 'i', 0)],
    'STRIDED_SLICE': [('begin_mask', 'i', 0), ('end_mask', 'i', 0), ('ellipsis_mask', 'i', 0),
                      ('new_axis_mask', 'i', 0), ('shrink_axis_mask', 'i', 0), ('offset', '?', False)],
    'CAST': [('in_data_type', 'b', 0), ('out_data_type', 'b', 0)],
    'SHAPE': [('out_type', 'b', 0)],
}
PADDING = {0: 'SAME', 1: 'VALID'}
ACTIVATIONS = {0: 'NONE', 1: 'RELU', 2: 'RELU_N1_TO_1', 3: 'RELU6', 4: 'TANH', 5: 'SIGN_BIT'}


class Table:
    """One FlatBuffer table at byte position pos of buf."""

    def __init__(self, buf, pos):
        self.buf = buf
        self.pos = pos
        vt = pos - struct.unpack_from('<i', buf, pos)[0]
        vt_bytes = struct.unpack_from('<H', buf, vt)[0]
        n = (vt_bytes - 4) // 2
        self.slots = struct.unpack_from('<%dH' % n, buf, vt + 4) if n else ()

    def _field(self, i):
        """Absolute position of field i, or None when absent."""
        return self.pos + self.slots[i] if i < len(self.slots) and self.slots[i] else None

    def scalar(self, i, fmt, default):
        p = self._field(i)
        return default if p is None else struct.unpack_from('<' + fmt, self.buf, p)[0]

    def _ref(self, i):
        p = self._field(i)
        return None if p is None else p + struct.unpack_from('<I', self.buf, p)[0]

    def table(self, i):
        p = self._ref(i)
        return None if p is None else Table(self.buf, p)

    def string(self, i):
        p = self._ref(i)
        if p is None:
            return None
        n = struct.unpack_from('<I', self.buf, p)[0]
        return bytes(self.buf[p + 4:p + 4 + n]).decode('utf-8')

    def vector(self, i, dtype):
        """A vector of scalars as a numpy array (empty when absent)."""
        p = self._ref(i)
        if p is None:
            return np.zeros(0, dtype)
        n = struct.unpack_from('<I', self.buf, p)[0]
        return np.frombuffer(self.buf, dtype=np.dtype(dtype).newbyteorder('<'), count=n, offset=p + 4).copy()

    def tables(self, i):
        """A vector of tables."""
        p = self._ref(i)
        if p is None:
            return []
        n = struct.unpack_from('<I', self.buf, p)[0]
        out = []
        for k in range(n):
            e = p + 4 + 4 * k
            out.append(Table(self.buf, e + struct.unpack_from('<I', self.buf, e)[0]))
        return out


class TfliteTensor:
    def __init__(self, index, shape, dtype, name, data, scale, zero_point, quantized_dimension):
        self.index = index
        self.shape = tuple(int(s) for s in shape)
        self.dtype = dtype
        self.name = name
        self.data = data  # numpy array of the stored values in self.shape, or None for activations
        self.scale = scale  # float32 array (empty: not quantised)
        self.zero_point = zero_point  # int64 array
        self.quantized_dimension = quantized_dimension

    def dequantized(self):
        """The stored constant as float32: (q - zero_point) * scale, per channel along quantized_dimension."""
        if self.data is None:
            raise ValueError('tensor %d (%s) holds no constant data' % (self.index, self.name))
        if self.dtype in (np.float32,):
            return self.data.astype(np.float32)
        if self.dtype == np.float16:
            return self.data.astype(np.float32)
        if len(self.scale) == 0:
            raise ValueError('tensor %d (%s) is %s without quantisation parameters' % (self.index, self.name,
                                                                                     np.dtype(self.dtype).name))
        q = self.data.astype(np.float64)
        shape = [1] * len(self.shape)
        if len(self.scale) > 1:
            shape[self.quantized_dimension] = len(self.scale)
        s = self.scale.astype(np.float64).reshape(shape)
        z = self.zero_point.astype(np.float64).reshape(shape) if len(self.zero_point) else 0.0
        return ((q - z) * s).astype(np.float32)


class TfliteOperator:
    def __init__(self, op, inputs, outputs, options):
        self.op = op  # e.g. 'CONV_2D'
        self.inputs = [int(i) for i in inputs]  # tensor indices, -1 = optional input absent
        self.outputs = [int(i) for i in outputs]
        self.options = options  # dict from OPTION_FIELDS, enums decoded


class TfliteModel:
    def __init__(self, version, description, tensors, operators, inputs, outputs):
        self.version = version
        self.description = description
        self.tensors = tensors
        self.operators = operators
        self.inputs = inputs
        self.outputs = outputs


def _options(name, table):
    fields = OPTION_FIELDS.get(name)
    if fields is None or table is None:
        return {}
    out = {}
    for i, (key, fmt, default) in enumerate(fields):
        v = table.scalar(i, fmt, default)
        if key == 'padding':
            v = PADDING[v]
        elif key == 'fused_activation_function':
            v = ACTIVATIONS[v]
        elif fmt == '?':
            v = bool(v)
        out[key] = v
    return out


def read_tflite(path):
    """Parse a .tflite file (first subgraph only) into a TfliteModel."""
    with open(path, 'rb') as f:
        buf = f.read()
    if buf[4:8] != b'TFL3':
        raise ValueError('%s: not a TFLite FlatBuffer (file identifier %r, expected TFL3)' % (path, buf[4:8]))
    model = Table(buf, struct.unpack_from('<I', buf, 0)[0])
    version = model.scalar(0, 'I', 0)
    codes = []
    for oc in model.tables(1):
        deprecated = oc.scalar(0, 'b', 0)
        builtin = oc.scalar(3, 'i', 0)
        code = max(int(deprecated), int(builtin))  # schema: builtin_code supersedes deprecated_builtin_code (< 127)
        if code == 32:
            codes.append('CUSTOM:' + (oc.string(1) or ''))
        else:
            codes.append(BUILTIN_NAMES.get(code, 'BUILTIN_%d' % code))
    buffers = model.tables(4)
    subgraphs = model.tables(2)
    if len(subgraphs) != 1:
        raise ValueError('%s: expected one subgraph, found %d' % (path, len(subgraphs)))
    sg = subgraphs[0]
    tensors = []
    for idx, t in enumerate(sg.tables(0)):
        shape = t.vector(0, np.int32)
        ttype = t.scalar(1, 'b', 0)
        if ttype not in TENSOR_TYPES:
            raise ValueError('tensor %d: unsupported TensorType %d' % (idx, ttype))
        dtype = TENSOR_TYPES[ttype]
        name = t.string(3) or ''
        data = None
        b = t.scalar(2, 'I', 0)
        if b and b < len(buffers):
            raw = buffers[b].vector(0, np.uint8)
            if raw.size:
                data = np.frombuffer(raw.tobytes(), dtype=np.dtype(dtype).newbyteorder('<')).reshape(tuple(shape))
        q = t.table(4)
        scale = q.vector(2, np.float32) if q is not None else np.zeros(0, np.float32)
        zp = q.vector(3, np.int64) if q is not None else np.zeros(0, np.int64)
        qdim = q.scalar(6, 'i', 0) if q is not None else 0
        tensors.append(TfliteTensor(idx, shape, dtype, name, data, scale, zp, qdim))
    operators = []
    for o in sg.tables(3):
        name = codes[o.scalar(0, 'I', 0)]
        operators.append(TfliteOperator(name, o.vector(1, np.int32), o.vector(2, np.int32), _options(name, o.table(4))))
    return TfliteModel(version, model.string(3), tensors, operators,
                       [int(i) for i in sg.vector(1, np.int32)], [int(i) for i in sg.vector(2, np.int32)])
