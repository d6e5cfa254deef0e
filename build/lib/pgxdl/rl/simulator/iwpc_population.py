"""Estimate a :class:`PopulationModel` from the real IWPC warfarin table (PharmGKB columns).

Only summary numbers leave this module: genotype frequencies among patients with a
genotype the Hamberg model knows (CYP2C9 *1/*2/*3 diplotypes; rarer alleles such as *5, *6,
*11 and missing calls are left out and counted), the age-decade histogram, and the mean and
SD of log weight and of height. Source: IWPC (Klein et al., NEJM 2009) via PharmGKB,
CC BY-SA 4.0; the table is read where it lies (``pgxdl.paths.shared_data_file``).
"""

from __future__ import annotations

import csv
import re
from functools import lru_cache
from pathlib import Path

import numpy as np

from pgxdl.rl.simulator.parameters import CYP2C9_GENOTYPES, VKORC1_GENOTYPES, genotype_indices
from pgxdl.rl.simulator.population import AGE_BINS, DEFAULT_POPULATIONS, PopulationModel

RACE_COLUMN = "Race (OMB)"
AGE_COLUMN = "Age"
WEIGHT_COLUMN = "Weight (kg)"
HEIGHT_COLUMN = "Height (cm)"
CYP2C9_COLUMN = "Cyp2C9 genotypes"
VKORC1_COLUMN = "VKORC1 -1639 consensus"
#: IWPC age decades mapped onto :data:`AGE_BINS` (10-19 and 20-29 share the 18-30 bin).
AGE_DECADE_TO_BIN = {"10 - 19": 0, "20 - 29": 0, "30 - 39": 1, "40 - 49": 2, "50 - 59": 3,
                     "60 - 69": 4, "70 - 79": 5, "80 - 89": 6, "90+": 7}
#: Population names accepted by :func:`population_from_iwpc` and the IWPC race they select.
IWPC_RACES = {"iwpc_all": None, "iwpc_white": "White", "iwpc_asian": "Asian",
              "iwpc_black": "Black or African American"}


def _normalise(name: str) -> str:
    return re.sub(r"\s+", " ", name).strip().lower()


def _read_rows(path: Path) -> tuple[list[dict[str, str]], dict[str, str]]:
    """Rows of the CSV and a map from needed column to its name in the file."""
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header = {_normalise(c): c for c in reader.fieldnames or []}
        needed = (RACE_COLUMN, AGE_COLUMN, WEIGHT_COLUMN, HEIGHT_COLUMN, CYP2C9_COLUMN,
                  VKORC1_COLUMN)
        missing = [c for c in needed if _normalise(c) not in header]
        if missing:
            raise ValueError(f"{path}: missing IWPC column(s) {missing}")
        return list(reader), {c: header[_normalise(c)] for c in needed}


def _number(text: str, path: Path, line: int, column: str) -> float:
    try:
        return float(text)
    except ValueError as err:
        raise ValueError(f"{path}, line {line}, column {column!r}: not a number: {text!r}") from err


def _frequencies(values: list[str], vocabulary: tuple[str, ...], gene: str) -> np.ndarray:
    known = []
    for value in values:
        try:
            known.append(int(genotype_indices([value], vocabulary, gene)[0]))
        except ValueError:
            continue
    if not known:
        raise ValueError(f"no {gene} genotype of {vocabulary} in the selected IWPC rows")
    return np.bincount(known, minlength=len(vocabulary)) / len(known)


@lru_cache(maxsize=8)
def population_from_iwpc(path: str | Path, name: str = "iwpc_white") -> PopulationModel:
    """Estimate the :class:`PopulationModel` called ``name`` (a key of :data:`IWPC_RACES`).

    Raises ``ValueError`` naming the file, line and column of a malformed value.
    """
    if name not in IWPC_RACES:
        raise ValueError(f"unknown IWPC population {name!r}; choose one of {list(IWPC_RACES)}")
    path = Path(path)
    rows, columns = _read_rows(path)
    race = IWPC_RACES[name]
    ages, weights, heights, cyp, vkor = [], [], [], [], []
    for line, row in enumerate(rows, start=2):
        if race is not None and row[columns[RACE_COLUMN]].strip() != race:
            continue
        decade = row[columns[AGE_COLUMN]].strip()
        if decade:
            if decade not in AGE_DECADE_TO_BIN:
                raise ValueError(f"{path}, line {line}, column {AGE_COLUMN!r}: unknown age "
                                 f"decade {decade!r}")
            ages.append(AGE_DECADE_TO_BIN[decade])
        for column, sink in ((WEIGHT_COLUMN, weights), (HEIGHT_COLUMN, heights)):
            if text := row[columns[column]].strip():
                sink.append(_number(text, path, line, column))
        cyp.append(row[columns[CYP2C9_COLUMN]])
        vkor.append(row[columns[VKORC1_COLUMN]])
    if min(len(ages), len(weights), len(heights)) < 10:
        raise ValueError(f"{path}: fewer than 10 usable rows for population {name!r}")
    log_weight = np.log(np.asarray(weights))
    return PopulationModel(
        name=name, race=race or DEFAULT_POPULATIONS["european"].race,
        cyp2c9_freq=_frequencies(cyp, CYP2C9_GENOTYPES, "CYP2C9"),
        vkorc1_freq=_frequencies(vkor, VKORC1_GENOTYPES, "VKORC1"),
        age_probs=np.bincount(ages, minlength=len(AGE_BINS)) / len(ages),
        weight_log_mean=float(log_weight.mean()), weight_log_sd=float(log_weight.std()),
        height_mean=float(np.mean(heights)), height_sd=float(np.std(heights)),
        source=f"estimated from {path.name} ({len(ages)} patients)")


def resolve_population(name: str, iwpc_path: str | Path | None = None) -> PopulationModel:
    """A population by name: a built-in default, or an ``iwpc_*`` estimate.

    ``iwpc_*`` names fall back to the matching built-in default (``iwpc_all`` and
    ``iwpc_white`` to ``european``) when ``iwpc_path`` is ``None`` or does not exist.
    """
    if name in DEFAULT_POPULATIONS:
        return DEFAULT_POPULATIONS[name]
    if name not in IWPC_RACES:
        raise ValueError(f"unknown population {name!r}; choose one of "
                         f"{sorted(DEFAULT_POPULATIONS) + sorted(IWPC_RACES)}")
    if iwpc_path is not None and Path(iwpc_path).exists():
        return population_from_iwpc(str(iwpc_path), name)
    fallback = {"iwpc_asian": "east_asian", "iwpc_black": "african"}.get(name, "european")
    return DEFAULT_POPULATIONS[fallback]
