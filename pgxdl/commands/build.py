"""Build a cohort store from a data config: ``pgxdl build data/<name>.yaml`` (or ``<name>``).

The config's ``builder`` names a builder of :data:`pgxdl.builders.BUILDERS`; the other
keys are that builder's settings. ``--set key=value`` overrides a setting (the value is
read as YAML; dotted keys reach nested settings). The store is written atomically to
``--out`` (default: the config's ``out``), with provenance: the command, the config, the
package version and a SHA-256 of every input file the builder names. ``--shards N
--processes P`` (``vcf_ehr``) builds N shard stores beside ``--out`` in P processes and
writes ``--out`` as their index (:mod:`pgxdl.builders.vcf_ehr_shards`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pgxdl.builders.store_build import build_store, load_config
from pgxdl.resources import config_path

HELP = "build a cohort store from a data config"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", help="data config: a YAML path, a shipped one "
                        "(data/simulated.yaml) or a shipped name (simulated, iwpc, 1kgp)")
    parser.add_argument("--out", help="store path (default: the config's 'out')")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="KEY=VALUE", help="override a config setting")
    parser.add_argument("--compression", choices=["lzf", "gzip"], default=None,
                        help="compress sequence codes (smaller file, slower loading)")
    parser.add_argument("--shards", type=int, default=0, metavar="N",
                        help="vcf_ehr only: build N shard stores beside --out, which becomes "
                        "their index (read as one cohort)")
    parser.add_argument("--processes", type=int, default=1,
                        help="with --shards: shards built at a time, one process each")


def data_config_path(name: str) -> Path:
    """A data config by path, shipped path (``data/iwpc.yaml``) or shipped name (``iwpc``)."""
    if Path(name).suffix not in (".yaml", ".yml") and "/" not in name:
        name = f"data/{name}.yaml"
    return config_path(name)


def run(args: argparse.Namespace) -> int:
    config = load_config(data_config_path(args.config), args.overrides)
    out = args.out or config.get("out")
    if not out:
        raise ValueError(f"{args.config}: no output path; give --out or an 'out' key")
    if args.shards:
        if config.get("builder") != "vcf_ehr":
            raise ValueError(f"{args.config}: --shards needs builder vcf_ehr, the config's is "
                             f"{config.get('builder')!r}; build it without --shards")
        from pgxdl.builders.vcf_ehr_shards import build_shards

        path = build_shards(config, Path(out).parent, args.shards, args.processes,
                            name=Path(out).stem)
    else:
        path = build_store(config, out, args.compression,
                           command="pgxdl build " + " ".join(sys.argv[2:]))
    print(f"wrote {path}")
    return 0
