"""kcore: the Keras 3 core ops in C++, as drop-in replacements for ``keras.ops`` functions."""

from ._kcore import *  # noqa: F401,F403
from ._kcore import Tensor, SparseTensor  # noqa: F401

__version__ = "0.1.0"
