"""Puts training/'s part folders that hold shared modules on sys.path, so that a script in any folder imports
them by bare name (`import common`, `from nets import ...`, `from latent_codec import ...`, `from msssim import ...`).

An entry script in a part folder puts training/ itself first, then imports this (training/README.md, Imports):

    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # training/
    import sys_path  # noqa: E402,F401  training/'s parts on sys.path

Module names are unique across these folders, so the order does not matter; they go before site-packages so that
ours win over an installed module of the same name, as when every file sat in training/."""
import os
import sys

TRAINING_DIR = os.path.dirname(os.path.abspath(__file__))
PARTS = ('set1', 'latent', 'metrics')  # folders whose modules other folders import

sys.path[1:1] = [p for p in (os.path.join(TRAINING_DIR, part) for part in PARTS) if p not in sys.path]
