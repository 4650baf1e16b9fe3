#!/usr/bin/env python3
"""Writes OpenDTI's administrative directory (directory/) from the
MIT-licensed PyPI package vietnamadminunits 1.0.4: the 34 provinces and
3,321 communes in force since 1 July 2025, the 10,040 pre-reform communes with
their districts, and the 2025 mapping from each pre-reform commune to the new
commune(s) it went to.

    python3 scripts/prepare-directory.py            # downloads the wheel with pip
    python3 scripts/prepare-directory.py WHEEL.whl  # or reads a wheel you have

The product reads the CSV files written here; it never needs Python.
"""
import csv
import hashlib
import io
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import zipfile

PACKAGE, VERSION = "vietnamadminunits", "1.0.4"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "directory")


def wheel_path():
    if len(sys.argv) > 1:
        return sys.argv[1]
    folder = tempfile.mkdtemp(prefix="vau-")
    subprocess.run([sys.executable, "-m", "pip", "download", f"{PACKAGE}=={VERSION}", "--no-deps", "-q", "-d", folder], check=True)
    return os.path.join(folder, f"{PACKAGE}-{VERSION}-py3-none-any.whl")


def main():
    path = wheel_path()
    wheel_sha = hashlib.sha256(open(path, "rb").read()).hexdigest()
    with zipfile.ZipFile(path) as z:
        licence = z.read(f"{PACKAGE}-{VERSION}.dist-info/licenses/LICENSE").decode("utf-8")
        converter = json.loads(z.read(f"{PACKAGE}/data/converter_2025.json"))
        db_file = tempfile.mktemp(suffix=".db")
        with open(db_file, "wb") as f:
            f.write(z.read(f"{PACKAGE}/data/dataset.db"))
    db = sqlite3.connect(db_file)
    os.makedirs(OUT, exist_ok=True)

    def write(name, header, rows):
        with open(os.path.join(OUT, name), "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(header)
            w.writerows(rows)
        return len(rows)

    def coord(v):
        return "" if v is None else f"{v:.5f}".rstrip("0").rstrip(".")

    provinces = db.execute("""select provinceCode, province, provinceShort, avg(provinceLat), avg(provinceLon), provinceKey
                              from admin_units group by provinceCode order by provinceCode""").fetchall()
    n_provinces = write("provinces.csv", ["code", "name", "short_name", "lat", "lon"],
                        [(p[0], p[1], p[2], coord(p[3]), coord(p[4])) for p in provinces])
    communes = db.execute("""select wardCode, ward, wardType, provinceCode, wardLat, wardLon, wardAreaKm2, provinceKey, wardKey
                             from admin_units order by provinceCode, wardCode""").fetchall()
    n_communes = write("communes.csv", ["code", "name", "type", "province_code", "lat", "lon", "area_km2"],
                       [(c[0], c[1], c[2], c[3], coord(c[4]), coord(c[5]), "" if c[6] is None else c[6]) for c in communes])
    legacy = db.execute("""select provinceCode, province, districtCode, district, districtType, wardCode, ward, wardType, wardLat, wardLon,
                                  provinceKey, districtKey, wardKey
                           from admin_units_legacy order by provinceCode, districtCode, wardCode""").fetchall()
    n_legacy = write("legacy-communes.csv", ["province_code", "province_name", "district_code", "district_name", "district_type",
                                             "code", "name", "type", "lat", "lon"],
                     [row[:8] + (coord(row[8]), coord(row[9])) for row in legacy])

    new_code = {(c[7], c[8]): c[0] for c in communes}
    old_code = {f"{r[10]}_{r[11]}_{r[12] or ''}": r[5] for r in legacy}
    lineage, unmatched = [], []
    for province_key, wards in converter["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for ward_key, olds in wards.items():
            target = new_code.get((province_key, ward_key))
            for old in olds:
                source = old_code.get(old)
                if target and source:
                    lineage.append((source, target, 1))
                else:
                    unmatched.append(old)
    for province_key, olds in converter["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old, wards in olds.items():
            source = old_code.get(old)
            for ward in wards:
                target = new_code.get((province_key, ward["newWardKey"]))
                if target and source:
                    lineage.append((source, target, 1 if ward["isDefaultNewWard"] else 0))
                else:
                    unmatched.append(old)
    lineage = sorted(set(lineage))
    n_lineage = write("lineage-2025.csv", ["legacy_code", "code", "main"], lineage)
    mapped = len({l[0] for l in lineage})

    with open(os.path.join(OUT, "SOURCE.md"), "w", encoding="utf-8") as f:
        f.write(f"""# Administrative directory — source

Written by `scripts/prepare-directory.py` from the PyPI package
**{PACKAGE} {VERSION}** (https://pypi.org/project/{PACKAGE}/{VERSION}/,
https://github.com/tranngocminhhieu/vietnamadminunits), wheel SHA-256
`{wheel_sha}`: its tables `admin_units` (in force since 1 July 2025) and
`admin_units_legacy` (before), and its conversion table `converter_2025.json`.

| file | rows | what |
|---|---:|---|
| `provinces.csv` | {n_provinces} | provinces and centrally-run cities since 1 July 2025: official code, name, short name, centroid |
| `communes.csv` | {n_communes} | communes, wards and special zones (xã, phường, đặc khu) since 1 July 2025: official code, name, type, province code, centroid, area km² |
| `legacy-communes.csv` | {n_legacy} | communes before the reform, with their districts (codes, names, types) and centroids |
| `lineage-2025.csv` | {n_lineage} | each pre-reform commune → the new commune(s) it went to on 1 July 2025; `main` = 1 where the package names it the default of a divided commune |

{mapped} of the {n_legacy} pre-reform communes have a successor in the
conversion table{f"; {len(set(unmatched))} keys of the table match no commune of either list and are left out" if unmatched else ""}.
Coordinates are the package's centroids, rounded to 5 decimals.

## Licence of the source

```
{licence.strip()}
```
""")
    print(f"provinces {n_provinces}, communes {n_communes}, legacy communes {n_legacy}, lineage rows {n_lineage} ({mapped} legacy communes mapped), unmatched keys {len(set(unmatched))}")


if __name__ == "__main__":
    main()
