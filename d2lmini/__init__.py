"""Small helpers for the sequence-models book: plotting, timing, seeding, data loading.

Pick the module that matches your framework and import it under one short name::

    from d2lmini import torch as d2l        # PyTorch
    from d2lmini import mxnet as d2l        # MXNet
    from d2lmini import tensorflow as d2l   # TensorFlow / Keras 3

The three modules expose the same names with the same signatures, so chapter code reads
alike in every framework. This package file imports no framework itself.
"""

__version__ = "0.1.0"
