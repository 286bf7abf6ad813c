"""The process group: torchrun's environment (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT) when there is
one, a single process without any otherwise. Every collective here is a no-op in a single process, so the training
loop reads the same with and without torchrun.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass
class Context:
    rank: int
    world: int
    local_rank: int
    device: torch.device
    backend: str | None  # None: a single process without a process group

    @property
    def distributed(self) -> bool:
        return self.backend is not None

    @property
    def main(self) -> bool:
        return self.rank == 0


def choose_device(requested: str | None, local_rank: int) -> torch.device:
    """`requested` ("cpu", "cuda", "cuda:1"); by default this rank's GPU when there is one, else the CPU."""
    if requested in (None, "", "auto"):
        return torch.device(f"cuda:{local_rank}") if torch.cuda.is_available() else torch.device("cpu")
    device = torch.device(requested)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise SystemExit("--device cuda: this machine has no CUDA device PyTorch can use")
        if device.index is None:
            device = torch.device(f"cuda:{local_rank}")
    return device


def setup(device: str | None = None, backend: str | None = None) -> Context:
    """Joins torchrun's process group (NCCL on a GPU, gloo on the CPU, unless `backend` says) or runs alone."""
    env = os.environ
    launched = "RANK" in env and "WORLD_SIZE" in env
    rank = int(env.get("RANK", 0)) if launched else 0
    world = int(env.get("WORLD_SIZE", 1)) if launched else 1
    local_rank = int(env.get("LOCAL_RANK", 0)) if launched else 0
    chosen = choose_device(device, local_rank)
    if chosen.type == "cuda":
        torch.cuda.set_device(chosen)
    if chosen.type == "cpu" and world > 1:
        # Each rank is one process; several threads each would fight over the same cores.
        torch.set_num_threads(1)
    group = None
    if launched:
        group = backend or ("nccl" if chosen.type == "cuda" else "gloo")
        dist.init_process_group(group, rank=rank, world_size=world)
    return Context(rank, world, local_rank, chosen, group)


def teardown(context: Context) -> None:
    if context.distributed and dist.is_initialized():
        dist.destroy_process_group()


def barrier(context: Context) -> None:
    if context.distributed:
        dist.barrier()


def sum_over_ranks(context: Context, values: list[float]) -> list[float]:
    """Each value summed over the ranks (float64)."""
    if not context.distributed:
        return list(values)
    tensor = torch.tensor(values, dtype=torch.float64, device=collective_device(context))
    dist.all_reduce(tensor)
    return tensor.tolist()


def max_over_ranks(context: Context, value: float) -> float:
    if not context.distributed:
        return value
    tensor = torch.tensor([value], dtype=torch.float64, device=collective_device(context))
    dist.all_reduce(tensor, op=dist.ReduceOp.MAX)
    return float(tensor.item())


def replica_difference(context: Context, parameters: list[torch.Tensor]) -> float:
    """The largest |w − w on rank 0| over every weight and rank: 0 when DDP kept the replicas identical."""
    if not context.distributed:
        return 0.0
    largest = 0.0
    for parameter in parameters:
        mine = parameter.detach().to(collective_device(context)).clone()
        first = mine.clone()
        dist.broadcast(first, src=0)
        largest = max(largest, float((mine - first).abs().max().item()) if mine.numel() else 0.0)
    return max_over_ranks(context, largest)


def collective_device(context: Context) -> torch.device:
    """NCCL moves CUDA tensors only; gloo, host tensors."""
    return context.device if context.backend == "nccl" else torch.device("cpu")
