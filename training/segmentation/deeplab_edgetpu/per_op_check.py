"""Op-by-op comparison of the converted qlinear graph with the uint8 reference interpreter, to tell a converter or
reference bug (an op whose own output differs) from error growth through the network (every op right, the
differences compounding). Two steps around a run of dump_intermediates.ts:

  /usr/bin/python3 training/segmentation/deeplab_edgetpu/per_op_check.py build DIR
      writes DIR/qlinear_all.onnx (the qlinear graph with every tflite tensor up to the logits as an extra output)
      and DIR/qlinear_map.json (tflite tensor index -> ONNX output name)
  npx tsx training/segmentation/deeplab_edgetpu/dump_intermediates.ts DIR INPUT.u8
  /usr/bin/python3 training/segmentation/deeplab_edgetpu/per_op_check.py compare DIR INPUT.u8 [--rounding double|single]
      per op: the reference kernel fed with the ONNX graph's own inputs to that op ("alone"), and the reference run
      end to end from the pixels ("chained"): largest difference in uint8 steps and the fraction of values that differ.
"""
import argparse
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import uint8_reference as ref  # noqa: E402
from convert import Converter  # noqa: E402
from deeplab_tflite import INPUT_SIZE, load_model  # noqa: E402


def trunk_ops(m):
    head = next(i for i, op in enumerate(m.operators) if op.op == 'RESIZE_BILINEAR')
    return m.operators[:head]


def build(d):
    m = load_model()
    c = Converter(m, 'qlinear')
    model = c.convert()
    names = {}
    for op in trunk_ops(m):
        t = op.outputs[0]
        if c.names[t] not in names.values():
            names[t] = c.names[t]
            model.graph.output.append(helper.make_tensor_value_info(c.names[t], TensorProto.UINT8, None))
    os.makedirs(d, exist_ok=True)
    onnx.save(model, os.path.join(d, 'qlinear_all.onnx'))
    with open(os.path.join(d, 'qlinear_map.json'), 'w') as f:
        json.dump({str(k): v for k, v in names.items()}, f)


def compare(d, pixels_file, rounding):
    m = load_model()
    ref.set_rounding(rounding)
    names = {int(k): v for k, v in json.load(open(os.path.join(d, 'qlinear_map.json'))).items()}
    dims = json.load(open(os.path.join(d, 'dims.json')))
    px = np.fromfile(pixels_file, np.uint8).reshape(1, INPUT_SIZE, INPUT_SIZE, 3)
    onnx_vals = {m.inputs[0]: px}
    for t, name in names.items():
        onnx_vals[t] = np.fromfile(os.path.join(d, name + '.bin'), np.uint8).reshape(dims[name]).transpose(0, 2, 3, 1)
    chained = ref.run_ops(m, trunk_ops(m), {m.inputs[0]: px}, None)
    print('| # | op | alone: max diff | alone: values differing | chained: max diff | chained: values differing |')
    print('|---:|---|---:|---:|---:|---:|')
    for i, op in enumerate(trunk_ops(m)):
        t = op.outputs[0]
        alone = ref.run_ops(m, [op], {k: onnx_vals[k] for k in op.inputs if k in onnx_vals}, None)[t]
        a = onnx_vals[t].astype(np.int64) - alone.astype(np.int64)
        c = onnx_vals[t].astype(np.int64) - chained[t].astype(np.int64)
        print('| %d | %s | %d | %.4f %% | %d | %.3f %% |' % (i, op.op, np.abs(a).max(), 100 * (a != 0).mean(),
                                                        np.abs(c).max(), 100 * (c != 0).mean()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('step', choices=['build', 'compare'])
    ap.add_argument('dir')
    ap.add_argument('pixels', nargs='?')
    ap.add_argument('--rounding', choices=['double', 'single'], default='double')
    a = ap.parse_args()
    if a.step == 'build':
        build(a.dir)
    elif not a.pixels:
        sys.exit('per_op_check: compare needs the INPUT.u8 file')
    else:
        compare(a.dir, a.pixels, a.rounding)


if __name__ == '__main__':
    main()
