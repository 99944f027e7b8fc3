#!/usr/bin/env python3
"""bench_trees.py — the file trees the sync benchmarks write, one definition for Coffre's run
(Benchmarks/sync-client-bench.sh) and Syncthing's (Benchmarks/syncthing-anchor.py), so both
sync the same shapes.

  small  COUNT files of 4 KiB random bytes in 100 folders (d000…d099/f000000…)
  noop   COUNT files of 100 B (hex text of 50 random bytes) in 100 folders

Usage: bench_trees.py ROOT COUNT small|noop
"""

import os
import sys


def write_tree(root, count, kind):
    """Writes `count` files of `kind` under `root`, spread over 100 folders."""
    for i in range(count):
        folder = os.path.join(root, "d%03d" % (i % 100))
        os.makedirs(folder, exist_ok=True)
        data = os.urandom(4096) if kind == "small" else os.urandom(50).hex().encode()
        with open(os.path.join(folder, "f%06d" % i), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[3] not in ("small", "noop"):
        raise SystemExit(__doc__.strip().splitlines()[-1])
    write_tree(sys.argv[1], int(sys.argv[2]), sys.argv[3])
