"""Training tests run on one CPU thread: tiny tensors are fastest so, and machines are shared."""

import torch

torch.set_num_threads(1)
