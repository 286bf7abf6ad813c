"""`python -m esmc_torch.torchrun ARGS` is `torchrun ARGS` (torch.distributed.run), with one fix: torch 1.13's
launcher on Python >= 3.11 (Debian 12's python3-torch) fails before starting any worker, because its default
`--redirects 0` / `--tee 0` parse to None there (IntFlag no longer lists a 0 member when iterated). Where the
launcher parses them correctly (torch 2.x, or Python < 3.11) this changes nothing.
"""

from __future__ import annotations

import re
import sys


def patch_std_parsing() -> bool:
    """Makes Std.from_str("0") Std.NONE again; True when it had to."""
    from torch.distributed.elastic.multiprocessing import api

    std = api.Std
    if std.from_str("0") is not None:
        return False
    original = std.from_str.__func__

    def from_str(cls, vm: str):
        if re.fullmatch(r"[0-3]", vm):
            return cls(int(vm))
        if re.fullmatch(r"(\d:[0-3],)*(\d:[0-3])", vm):
            return {int(rank): cls(int(value)) for rank, value in (item.split(":") for item in vm.split(","))}
        return original(cls, vm)

    std.from_str = classmethod(from_str)
    return True


def main() -> None:
    patch_std_parsing()
    from torch.distributed.run import main as torchrun

    torchrun()


if __name__ == "__main__":
    sys.argv[0] = "torchrun"
    main()
