"""Simulator variants selectable by config: ``env: simulator: {kind: ..., params: {...}}``.

All variants but ``hamberg2010`` share the Hamberg 2007 structure
(:mod:`pgxdl.rl.simulator.hamberg`) and its inter-individual variability and differ in
typical values; every variant draws the same patients' random effects from the same seed:

``hamberg2007``
    The published estimates (:data:`~pgxdl.rl.simulator.parameters.HAMBERG_2007`).
``iwpc_recalibrated``
    CYP2C9 clearance losses, VKORC1 EC50s and the age slope fitted to the stable doses of
    the shared IWPC table (:mod:`pgxdl.rl.simulator.recalibration`); the fitted values are
    the shipped ``configs/rl/simulators/iwpc_recalibrated.yaml``.
``hamberg2010``
    Another published model, of another structure: Hamberg et al. 2010 (one PK
    compartment, per-allele CYP2C9 clearances and VKORC1 EC50s, two chains of three
    compartments, INR linear in their mean), :mod:`pgxdl.rl.simulator.hamberg2010`.
``perturbed``
    An ensemble of ``n_members`` (default 16) variants of ``base`` (``hamberg2007`` or
    ``iwpc_recalibrated``), each typical value shifted once per member, seeded by ``seed``;
    every patient is assigned a member at random. Shifts are log-normal with the SDs of
    :data:`PERTURBATION_SD` times ``scale`` (age slope: additive). The SDs are of the order
    of the differences between the Hamberg 2007 and Hamberg 2010 (Clin Pharmacol Ther
    87:727) estimates of the same effects (e.g. \\*1/\\*3 CL remaining 0.55 vs 0.62, age
    slope -0.91 vs -0.57 %/year, EC50 A/A over G/G 0.48 vs 0.47); they are our reading of
    "plausible", not the papers' standard errors, which were not available here.

``params`` of ``hamberg2007`` and ``iwpc_recalibrated`` override any field of
:class:`~pgxdl.rl.simulator.parameters.TypicalValues` (``cl_wild_type``,
``cl_fraction_lost``, ``age_cl_slope``, ``ec50``, ``v1``, ``v2``, ``q``, ``ka``, ``mtt1``,
``mtt2``); those of ``hamberg2010`` override any field of
:class:`~pgxdl.rl.simulator.hamberg2010.Hamberg2010Values` (``iiv_sd`` is merged into the
published SDs).
"""

from __future__ import annotations

import dataclasses
import json
from functools import lru_cache

import numpy as np
import yaml

from pgxdl.resources import config_path
from pgxdl.rl.simulator.hamberg2010 import HAMBERG_2010
from pgxdl.rl.simulator.parameters import HAMBERG_2007, TypicalValues

SIMULATOR_KINDS = ("hamberg2007", "iwpc_recalibrated", "hamberg2010", "perturbed")
PERTURBABLE = ("hamberg2007", "iwpc_recalibrated")
RECALIBRATED_CONFIG = "rl/simulators/iwpc_recalibrated.yaml"
#: Log-scale SD of each member's shift (``age_cl_slope``: additive, per year).
PERTURBATION_SD = {"cl_wild_type": 0.10, "cl_fraction_remaining": 0.15, "age_cl_slope": 0.003,
                   "ec50": 0.15, "mtt1": 0.15, "mtt2": 0.15}
PERTURBED_DEFAULTS = {"base": "hamberg2007", "n_members": 16, "seed": 0, "scale": 1.0}


class PerturbedEnsemble:
    """``members`` typical-value sets; each patient gets one drawn uniformly by ``rng``."""

    def __init__(self, members: list[TypicalValues], name: str = "perturbed") -> None:
        if not members:
            raise ValueError("a perturbed ensemble needs at least one member")
        self.members, self.name = members, name

    def typical(self, cyp2c9: np.ndarray, vkorc1: np.ndarray, age: np.ndarray,
                rng: np.random.Generator | None = None) -> dict[str, np.ndarray]:
        """Typical parameters ``(N,)`` each, patient ``i`` from member ``member[i]``."""
        rng = rng or np.random.default_rng(0)
        member = rng.integers(0, len(self.members), size=len(cyp2c9))
        out = {k: np.empty(len(cyp2c9)) for k in self.members[0].typical(
            cyp2c9[:1], vkorc1[:1], np.asarray(age)[:1])}
        for m in np.unique(member):
            rows = member == m
            values = self.members[m].typical(cyp2c9[rows], vkorc1[rows], np.asarray(age)[rows])
            for key, value in values.items():
                out[key][rows] = value
        return out


def perturb(base: TypicalValues, rng: np.random.Generator, scale: float = 1.0,
            name: str = "perturbed") -> TypicalValues:
    """One plausible variant of ``base``: its typical values shifted as :data:`PERTURBATION_SD`."""
    sd = {k: v * scale for k, v in PERTURBATION_SD.items()}
    remaining = 1.0 - np.asarray(base.cl_fraction_lost)
    shifted = remaining * np.exp(rng.normal(0.0, sd["cl_fraction_remaining"], len(remaining)))
    shifted[0] = 1.0  # *1/*1 is the reference; its CL moves with cl_wild_type
    return dataclasses.replace(
        base, name=name,
        cl_wild_type=base.cl_wild_type * float(np.exp(rng.normal(0, sd["cl_wild_type"]))),
        cl_fraction_lost=tuple(np.clip(1.0 - shifted, 0.0, 0.97)),
        age_cl_slope=base.age_cl_slope + float(rng.normal(0, sd["age_cl_slope"])),
        ec50=tuple(np.asarray(base.ec50) * np.exp(rng.normal(0, sd["ec50"], len(base.ec50)))),
        mtt1=base.mtt1 * float(np.exp(rng.normal(0, sd["mtt1"]))),
        mtt2=base.mtt2 * float(np.exp(rng.normal(0, sd["mtt2"]))))


def recalibrated_values() -> TypicalValues:
    """The IWPC-recalibrated typical values shipped in :data:`RECALIBRATED_CONFIG`."""
    path = config_path(RECALIBRATED_CONFIG)
    with open(path, encoding="utf-8") as handle:
        fitted = (yaml.safe_load(handle) or {}).get("typical_values")
    if not isinstance(fitted, dict):
        raise ValueError(f"{path}: missing the 'typical_values' mapping (rerun "
                         "python -m pgxdl.rl.simulator.recalibration)")
    return _with_overrides(HAMBERG_2007, {"name": "iwpc_recalibrated", **fitted}, str(path))


def _with_overrides(base, params: dict, where: str):
    known = {f.name for f in dataclasses.fields(base)}
    unknown = sorted(set(params) - known)
    if unknown:
        raise ValueError(f"{where}: unknown simulator parameter(s) {unknown}; known "
                         f"{sorted(known)}")
    if isinstance(params.get("iiv_sd"), dict):
        params = {**params, "iiv_sd": {**base.iiv_sd, **params["iiv_sd"]}}
    return dataclasses.replace(base, **params)


def simulator_name(spec: dict | None) -> str:
    """Short label of a simulator spec (its ``kind``, or ``name`` when given)."""
    spec = spec or {}
    return str(spec.get("name", spec.get("kind", "hamberg2007")))


def resolve_simulator(spec: dict | None):
    """The typical-value model of an ``env.simulator`` mapping (cached by content).

    Raises ``ValueError`` naming the field for an unknown kind or parameter.
    """
    return _resolve(json.dumps(spec or {}, sort_keys=True, default=list))


@lru_cache(maxsize=32)
def _resolve(key: str):
    spec = json.loads(key)
    unknown = sorted(set(spec) - {"kind", "params", "name"})
    if unknown:
        raise ValueError(f"env.simulator: unknown key(s) {unknown}; known: kind, params, name")
    kind = spec.get("kind", "hamberg2007")
    params = dict(spec.get("params") or {})
    if kind == "hamberg2007":
        return _with_overrides(HAMBERG_2007, params, "env.simulator.params")
    if kind == "iwpc_recalibrated":
        return _with_overrides(recalibrated_values(), params, "env.simulator.params")
    if kind == "hamberg2010":
        return _with_overrides(HAMBERG_2010, params, "env.simulator.params")
    if kind == "perturbed":
        bad = sorted(set(params) - set(PERTURBED_DEFAULTS))
        if bad:
            raise ValueError(f"env.simulator.params: unknown perturbed setting(s) {bad}; known "
                             f"{sorted(PERTURBED_DEFAULTS)}")
        settings = {**PERTURBED_DEFAULTS, **params}
        if settings["base"] not in PERTURBABLE:
            raise ValueError(f"env.simulator.params.base must be one of {list(PERTURBABLE)}, "
                             f"got {settings['base']!r}")
        base = _resolve(json.dumps({"kind": settings["base"]}))
        rng = np.random.default_rng(int(settings["seed"]))
        members = [perturb(base, rng, float(settings["scale"]), f"perturbed_{i}")
                   for i in range(int(settings["n_members"]))]
        return PerturbedEnsemble(members, simulator_name(spec))
    raise ValueError(f"env.simulator.kind {kind!r} is not one of {list(SIMULATOR_KINDS)}")
