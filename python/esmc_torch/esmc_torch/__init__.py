"""esmc_torch: ESMC Lab's model family in PyTorch, trained with DistributedDataParallel on a dataset the lab
exported (`esmc-lab export`). `esmc_torch.models` is the PyTorch twin of the engine's models (it writes the parity
fixtures); `python -m esmc_torch.train` (or `torchrun -m esmc_torch.train`) trains one of them.

This module imports nothing heavy: bench/reference imports `esmc_torch.models` with torch and numpy only.
"""

__version__ = "0.1.0"
