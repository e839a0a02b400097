"""Where the EdgeTPU-DeepLab-slim tflite file lives and how it is read (training/depth/tflite_reader.py, imported, not
copied), shared by the graph table, the converter and the uint8 reference interpreter."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, os.path.join(ROOT, 'training', 'depth'))
from tflite_reader import read_tflite  # noqa: E402

TFLITE = os.path.normpath(os.path.join(ROOT, '..', 'shared', 'data', 'weights', 'segmentation',
                                       'deeplab_mobilenet_edgetpu_slim_cityscapes_quant.tflite'))
INPUT_SIZE = 513
NUM_CLASSES = 19


def load_model(path=TFLITE):
    m = read_tflite(path)
    shape = m.tensors[m.inputs[0]].shape
    if shape != (1, INPUT_SIZE, INPUT_SIZE, 3):
        raise ValueError('%s: input shape %s, expected (1, %d, %d, 3)' % (path, shape, INPUT_SIZE, INPUT_SIZE))
    return m
