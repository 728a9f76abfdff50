"""``python -m chainrule.db upgrade``: migrate CHAINRULE_DATABASE_URL to the newest schema
(the deploy manifests run it once, as a Job / init step, before the workers start)."""

from __future__ import annotations

import sys

from chainrule.db.session import database_url, migrate


def main(argv: list[str]) -> int:
    if argv != ["upgrade"]:
        print("usage: python -m chainrule.db upgrade", file=sys.stderr)
        return 2
    migrate()
    print(f"chainrule: database at the newest schema ({database_url().split('@')[-1]})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
