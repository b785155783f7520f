"""How far attribution recall can go on a world imported into a store, without guessing.

    python -m benchmarks.recall_ceiling benchmarks/out/command-large-8-all/run.sqlite \\
        benchmarks/out/command-large-8-all/world

A site whose captures show nothing of its own (every one an error, parked, suspended or
challenge page, or none at all) is known only by its hosting. The method places many such
sites (the brand name their domain spells, their distributor's own name servers or server
addresses); the rest would need a guess from hosting that other operators share too.
This scores the attribution that gives every other site its true brand and distributor and
leaves exactly those sites unattributed: the recall no method reaches without guessing.
Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import orjson
from sqlalchemy import create_engine

from hotline.attribution.links import link_table
from hotline.attribution.method import NOT_SHOWN, cluster
from hotline.synth.score import Attribution, read_truth, score


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", type=Path, help="a SQLite store with the world imported")
    parser.add_argument("world", type=Path, help="the world's directory (truth.json)")
    args = parser.parse_args()
    engine = create_engine(f"sqlite:///{args.database}")
    table = link_table(engine)
    engine.dispose()
    result = cluster(table)
    shown_value = np.fromiter(
        (kind not in NOT_SHOWN for kind, _value in table.values), np.bool_, len(table.values)
    )
    shows = np.bincount(table.site_of[shown_value[table.value_of]], minlength=len(table.sites))
    shown = {table.sites[i] for i in np.flatnonzero(shows > 0).tolist()}
    sites = orjson.loads((args.world / "truth.json").read_bytes())["sites"]
    left = {s for s in sites if s not in shown and result.brand_of.get(s) is None}
    ceiling = score(
        read_truth(args.world / "truth.json"),
        Attribution(
            brand={s: None if s in left else v.get("brand") for s, v in sites.items()},
            distributor={s: None if s in left else v.get("distributor") for s, v in sites.items()},
        ),
    )
    print(
        json.dumps(
            {
                "commercial_sites": sum(1 for v in sites.values() if v.get("distributor")),
                "hosting_only_left": sum(1 for s in left if sites[s].get("distributor")),
                "brand_recall_ceiling": round(ceiling.brand.recall, 4),
                "brand_f1_ceiling": round(ceiling.brand.f1, 4),
                "distributor_recall_ceiling": round(ceiling.distributor.recall, 4),
                "distributor_f1_ceiling": round(ceiling.distributor.f1, 4),
            }
        )
    )


if __name__ == "__main__":
    main()
