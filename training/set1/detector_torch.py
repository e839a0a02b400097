"""The station's detector (resources/models/detector.onnx, NanoDet) run by PyTorch, frozen, so a training loss
can ask what the detector sees in a reconstruction. A small interpreter for the op set our converter emits
(training/detector/convert_tfjs_to_onnx.py), not a general ONNX importer; it stops at the three head
convolutions (class logits and box distributions per FPN level), before the Split/Reshape/Transpose tail.
Checked against onnxruntime-node by running this file (training/detector/dump_onnx_outputs.ts; see training/detector/README.md)."""
import os

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper

REPO_ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
DETECTOR = os.path.join(REPO_ROOT, 'resources', 'models', 'detector.onnx')
# NanoDet's training normalisation, BGR order (src/core/analysis/detector.ts)
MEAN_BGR = (103.53, 116.28, 123.675)
STD_BGR = (57.375, 57.12, 58.395)
CLASSES = 80


def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


class DetectorHeads(torch.nn.Module):
    """rgb [B,3,H,W] in [0,1], H and W multiples of 32 -> list of 3 head outputs [B, 80 + box bins, H/s, W/s] for
    strides s = 8, 16, 32 (raw: class logits first). Weights are buffers: nothing here trains."""

    def __init__(self, path=DETECTOR):
        super().__init__()
        model = onnx.load(path)
        self.inits = {}
        for i, t in enumerate(model.graph.initializer):
            arr = numpy_helper.to_array(t)
            if arr.dtype == np.float32:
                self.register_buffer(f'w{i}', torch.from_numpy(arr.copy()))
                self.inits[t.name] = f'w{i}'
            else:
                self.inits[t.name] = arr
        splits = [n for n in model.graph.node if n.op_type == 'Split']
        self.head_names = [n.input[0] for n in splits]
        self.nodes = []
        for n in model.graph.node:
            if n.op_type in ('Split', 'Sigmoid', 'Reshape', 'Transpose', 'Identity'):
                continue  # the output tail: we stop at the head convolutions
            self.nodes.append((n.op_type, list(n.input), list(n.output), _attrs(n)))
        self.input_name = model.graph.input[0].name
        self.register_buffer('mean', torch.tensor(MEAN_BGR).view(1, 3, 1, 1) / 255.0)
        self.register_buffer('std', torch.tensor(STD_BGR).view(1, 3, 1, 1) / 255.0)

    def _get(self, env, name):
        if name in env:
            return env[name]
        v = self.inits[name]
        return getattr(self, v) if isinstance(v, str) else v

    def normalise(self, rgb):
        return (rgb.flip(1) - self.mean) / self.std

    def forward_normalised(self, x):
        env = {self.input_name: x}
        for op, ins, outs, at in self.nodes:
            if op == 'Conv':
                w = self._get(env, ins[1])
                b = self._get(env, ins[2]) if len(ins) > 2 else None
                p = at.get('pads', [0, 0, 0, 0])
                h = self._get(env, ins[0])
                if p[0] != p[2] or p[1] != p[3]:
                    h = F.pad(h, (p[1], p[3], p[0], p[2]))
                    pad = 0
                else:
                    pad = (p[0], p[1])
                env[outs[0]] = F.conv2d(h, w, b, stride=at.get('strides', [1, 1]), padding=pad,
                                        dilation=at.get('dilations', [1, 1]), groups=at.get('group', 1))
            elif op == 'LeakyRelu':
                env[outs[0]] = F.leaky_relu(self._get(env, ins[0]), at.get('alpha', 0.01))
            elif op == 'Concat':
                if outs[0].startswith('ResizeBilinear_sizes'):
                    continue  # shape arithmetic: Resize below takes its size from the tensor it is added to
                env[outs[0]] = torch.cat([self._get(env, i) for i in ins], dim=at['axis'])
            elif op == 'Add':
                a, b = self._get(env, ins[0]), self._get(env, ins[1])
                if isinstance(a, tuple):
                    a, b = b, a
                if isinstance(b, tuple):  # Add(x, Resize(y)): y upsampled to x's size
                    b = F.interpolate(self._get(env, b[1]), size=a.shape[-2:], mode='bilinear', align_corners=False)
                env[outs[0]] = a + b
            elif op == 'Pad':
                pads = [int(v) for v in self._get(env, ins[1])]
                n = len(pads) // 2
                torch_pads = []
                for d in reversed(range(n)):
                    torch_pads += [pads[d], pads[d + n]]
                value = float(np.asarray(self._get(env, ins[2])).reshape(-1)[0]) if len(ins) > 2 and ins[2] else 0.0
                env[outs[0]] = F.pad(self._get(env, ins[0]), torch_pads, value=value)
            elif op == 'MaxPool':
                env[outs[0]] = F.max_pool2d(self._get(env, ins[0]), at['kernel_shape'], at['strides'])
            elif op == 'Resize':
                env[outs[0]] = ('resize', ins[0])  # resolved by the Add that consumes it (target = other operand)
            elif op in ('Shape', 'Slice'):
                continue
            else:
                raise RuntimeError(f'detector_torch: op {op} not supported')
        return [env[n] for n in self.head_names]

    def forward(self, rgb):
        return self.forward_normalised(self.normalise(rgb))


def agreement_loss(heads, x, x_ref):
    """How differently the detector reads x and x_ref ([B,3,H,W] in [0,1]): mean squared difference of the class
    probabilities (background logits far below zero cost nothing, objects do) plus the box distributions
    where the reference is confident of something. x_ref gets no gradient."""
    with torch.no_grad():
        ref = heads(x_ref)
    out = heads(x)
    total = 0.0
    for o, r in zip(out, ref):
        p, pr = torch.sigmoid(o[:, :CLASSES]), torch.sigmoid(r[:, :CLASSES])
        conf = pr.max(1, keepdim=True).values
        total = total + ((p - pr) ** 2).sum(1).mean() + (conf * (o[:, CLASSES:] - r[:, CLASSES:]) ** 2).mean()
    return total / len(out)


def check(tol=1e-3):
    """Class scores and box distributions of this copy vs onnxruntime-node on two Kodak photos; exits 1 beyond tol."""
    import subprocess
    import sys
    import tempfile
    heads = DetectorHeads().eval()
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(['npx', 'tsx', 'training/detector/dump_onnx_outputs.ts', tmp], cwd=REPO_ROOT, check=True)
        for name in ('kodim05', 'kodim21'):
            x = torch.from_numpy(np.fromfile(os.path.join(tmp, f'{name}.input.f32'), dtype=np.float32)).view(1, 3, 416, 416)
            with torch.no_grad():
                outs = heads.forward_normalised(x)
            # onnx outputs: Identity, _1, _2 = class scores per level; _3, _4, _5 = box distributions, each [1, HW, k]
            for lvl, o in enumerate(outs):
                flat = o.flatten(2).transpose(1, 2)
                for suffix, mine in ((lvl, torch.sigmoid(flat[..., :CLASSES])), (lvl + 3, flat[..., CLASSES:])):
                    key = 'Identity' if suffix == 0 else f'Identity_{suffix}'
                    ref = np.fromfile(os.path.join(tmp, f'{name}.{key}.f32'), dtype=np.float32).reshape(mine.shape)
                    worst = max(worst, float(np.abs(mine.numpy() - ref).max()))
    print(f'detector_torch vs onnxruntime-node: max |difference| {worst:.2e} (limit {tol:g})')
    if worst > tol:
        sys.exit(1)


if __name__ == '__main__':
    check()
