#!/usr/bin/env python3
"""The same computation as `dti score`, written the straightforward pandas way:
criterion points by rule type, applicability, sums per main index and unit,
percent of the applicable max, competition ranking within groups, bands.

    python3 bench/pandas_score.py FRAMEWORK UNITS RESPONSES OUT_CSV

Used only as the baseline of bench/compare.py; not part of OpenDTI.
"""
import sys

import numpy as np
import pandas as pd
import yaml


def leaves(nodes, index=None):
    for n in nodes:
        kind = next(k for k in ("pillar", "group", "index", "component", "criterion") if k in n)
        idx = n[kind] if kind == "index" else index
        if "children" in n:
            yield from leaves(n["children"], idx)
        else:
            yield str(n[kind]), idx, n


def main(framework_path, units_path, responses_path, out_path):
    fw = yaml.safe_load(open(framework_path, encoding="utf-8"))
    rows = []
    for code, idx, n in leaves(fw["tree"]):
        rule = n["rule"]
        rows.append({
            "criterion": code, "main_index": str(idx), "max": float(n["max"]), "type": rule["type"],
            "except_tag": ",".join(n.get("applies", {}).get("except_tags", [])),
            "not_deployed": bool(n.get("applies", {}).get("not_deployed", False)),
            "tiers": rule.get("tiers"), "options": rule.get("options") or rule.get("parts"),
            "per_item": float(rule.get("per_item", 0)), "zero": rule.get("when_b_is_zero", "zero"),
        })
    crit = pd.DataFrame(rows)
    units = pd.read_csv(units_path, dtype=str, keep_default_na=False)
    resp = pd.read_csv(responses_path, dtype=str, keep_default_na=False)

    # Every (unit, criterion) pair, answered or not.
    grid = units.merge(crit, how="cross").merge(resp, on=["unit", "criterion"], how="left")
    grid["value"] = grid["value"].fillna("")
    grid["b"] = grid["b"].fillna("")
    tags = grid["tags"].str.split(r"[;| ]")
    applies = ~grid["not_deployed"] & ~np.array([bool(t) and t in ts for t, ts in zip(grid["except_tag"], tags)])
    answered = grid["value"] != ""
    num = pd.to_numeric(grid["value"].str.replace(",", ".", regex=False), errors="coerce")
    b = pd.to_numeric(grid["b"].str.replace(",", ".", regex=False), errors="coerce")
    t = grid["type"]
    points = pd.Series(0.0, index=grid.index)
    points[t == "yes_no"] = np.where(grid["value"].str.lower().isin(["có", "1", "yes", "x"]), grid["max"], 0)[t == "yes_no"]
    # tiers: first tier reached
    tier_rows = t == "tiers"
    points[tier_rows] = [next((tt["points"] for tt in tiers if v >= tt["at_least"]), 0) if v == v else 0
                         for tiers, v in zip(grid.loc[tier_rows, "tiers"], num[tier_rows])]
    ratio = t == "ratio"
    zero_b = ratio & (b == 0)
    points[ratio & (b > 0)] = (np.round(num / b * grid["max"], 6))[ratio & (b > 0)]
    points[zero_b & (grid["zero"] == "full")] = grid["max"][zero_b & (grid["zero"] == "full")]
    na = zero_b & (grid["zero"] == "not_applicable")
    for kind in ("choice", "parts"):
        rows_k = t == kind
        points[rows_k] = [min(m, sum(o["fraction"] * m for o in opts if o["key"] in set(v.replace("-", "").split(";")))) if kind == "parts"
                          else next((o["fraction"] * m for o in opts if o["key"] == v), 0)
                          for opts, v, m in zip(grid.loc[rows_k, "options"], grid.loc[rows_k, "value"], grid.loc[rows_k, "max"])]
    capped = t == "capped_count"
    points[capped] = np.minimum(num * grid["per_item"], grid["max"])[capped]
    manual = t == "manual"
    points[manual] = num[manual]
    points = points.fillna(0).where(answered, 0)
    counts = applies & ~na
    grid["points"] = np.where(counts, points, 0.0)
    grid["applicable"] = np.where(counts, grid["max"], 0.0)

    by_unit = grid.groupby("unit", sort=False).agg(points=("points", "sum"), max_points=("applicable", "sum"),
                                                   answered=("value", lambda v: (v != "").any()))
    per_index = grid.pivot_table(index="unit", columns="main_index", values="points", aggfunc="sum")
    result = units.set_index("unit").join(by_unit).join(per_index)
    pct = result["points"] / result["max_points"] * 100
    result["index"] = np.floor(pct * 100 + 0.5 + 1e-9) / 100
    result.loc[~result["answered"], "index"] = np.nan
    result["rank"] = result.groupby("group")["index"].rank(method="min", ascending=False)
    reported = result.groupby("group")["index"].transform("count")
    result["rank"] = result["rank"].fillna(reported + 1).astype(int)
    bands = sorted(fw.get("bands", []), key=lambda x: -x["min"])
    result["band"] = [next((bd["name"] for bd in bands if v >= bd["min"]), "") if v == v else "" for v in result["index"]]
    result = result.reset_index().sort_values(["group", "rank", "unit"])
    result[["group", "unit", "points", "max_points", "index", "rank", "band"]].to_csv(out_path, index=False)


if __name__ == "__main__":
    main(*sys.argv[1:5])
