"""Mini-batch sampling: full batch by default; with ``batch_size``, a fresh seeded
permutation each epoch, cut into consecutive batches, so every example is used exactly once
per epoch (the last batch of an epoch is smaller when ``batch_size`` does not divide ``n``,
as with torch's ``DataLoader(shuffle=True, drop_last=False)``)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from chainrule.errors import ChainruleError


def check_batch_size(batch_size: int | None, n: int) -> None:
    """Raise ``bad_value`` unless ``batch_size`` is None or an integer in [1, n]."""
    if batch_size is None:
        return
    if isinstance(batch_size, bool) or not isinstance(batch_size, int):
        raise ChainruleError("bad_value", f"batch_size must be an integer, got {batch_size!r}")
    if not 1 <= batch_size <= n:
        raise ChainruleError(
            "bad_value", f"batch_size must be between 1 and the {n} rows of data, got {batch_size}"
        )


def batches(n: int, batch_size: int, seed: int) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(epoch, row indices)`` forever: each epoch a permutation of ``range(n)`` drawn
    with ``np.random.default_rng(seed)``, cut into batches of ``batch_size``; the indices of
    each batch are sorted so the UI can list the rows in order."""
    check_batch_size(batch_size, n)
    rng = np.random.default_rng(seed)
    epoch = 0
    while True:
        perm = rng.permutation(n)
        for start in range(0, n, batch_size):
            yield epoch, np.sort(perm[start : start + batch_size])
        epoch += 1
