#!/usr/bin/env python3
"""Writes the demo's monthly values of the dvc-766 feed (Sources/DTIServer/Resources/Demo/feeds/dvc-766-2026.csv).

Generated, not real: each commune of Đắk Lắk (province 66) gets a level per group
between 55 % and 92 % of the group's maximum, a slow drift through the year and a
little monthly noise; seeded, so the file is the same every time it is written.
The feed's provenance says the values are illustrative.
"""
import csv, random, sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent
groups = [("cong_khai", 18), ("tien_do", 20), ("so_hoa", 22), ("truc_tuyen", 22), ("hai_long", 18)]
rng = random.Random(766)
with open(root / "directory/communes.csv", encoding="utf-8") as f:
    communes = [r["code"] for r in csv.DictReader(f) if r["province_code"] == "66"]
out = root / "Sources/DTIServer/Resources/Demo/feeds/dvc-766-2026.csv"
with open(out, "w", encoding="utf-8", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["unit", "period"] + [g for g, _ in groups])
    levels = {c: [(rng.uniform(0.55, 0.92), rng.uniform(-0.012, 0.02)) for _ in groups] for c in communes}
    for month in range(1, 12):
        for c in communes:
            row = [c, f"2026-{month:02d}"]
            for (level, drift), (_, top) in zip(levels[c], groups):
                share = min(1.0, max(0.0, level + drift * (month - 1) + rng.gauss(0, 0.025)))
                row.append(f"{share * top:.2f}")
            w.writerow(row)
print(f"{out}: {len(communes)} communes × 11 months", file=sys.stderr)
