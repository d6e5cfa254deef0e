"""The generated clinical examples read back: FHIR bundle, hook requests, vcf_ehr config."""

from __future__ import annotations

import json

import pandas as pd
import yaml

from pgxdl.clinical.fhir_records import read_fhir_bundle
from pgxdl.clinical.service.assess import ordered_drug, parse_request
from pgxdl.clinical.service.hooks import PREFETCH, services
from pgxdl.clinical.synthetic import AS_OF
from scripts.clinical_examples import write_examples


def test_examples_are_consistent(tmp_path):
    paths = write_examples(tmp_path)
    ehr = pd.read_csv(paths["ehr"])
    records = read_fhir_bundle(json.loads(paths["bundle"].read_text()), "bundle", AS_OF)
    first = records.features.set_index("id").loc["NEW0000"]
    assert first["age"] == ehr["age"][0] and first["weight_kg"] == ehr["weight"][0]
    assert set(records.genotypes.columns) >= {"id", "rs9923231", "CYP2C19", "CYP2D6"}
    request = json.loads(paths["hook_warfarin"].read_text())
    service = services()["pgxdl-warfarin-order-select"]
    assert parse_request(json.dumps(request).encode(), service)["hook"] == "order-select"
    assert ordered_drug(request, service) == "warfarin"
    assert set(request["prefetch"]) == set(PREFETCH)
    sign = json.loads(paths["hook_citalopram"].read_text())
    assert sign["hook"] == "order-sign"
    config = yaml.safe_load(paths["config"].read_text())
    assert config["builder"] == "vcf_ehr" and config["ehr"] == str(paths["ehr"])


def test_subcommand_modules_follow_the_contract():
    import argparse

    from pgxdl.commands import predict, serve

    for module, argv in ((predict, ["--ckpt", "a.ckpt", "--ckpt", "b.ckpt", "--records",
                                    "r.csv", "--out", "p.csv", "--report", "rep"]),
                         (serve, ["--ckpt", "a.ckpt", "--port", "9000"])):
        assert module.HELP and callable(module.run)
        parser = argparse.ArgumentParser()
        module.add_arguments(parser)
        args = parser.parse_args(argv)
        assert args.ckpt[0] == "a.ckpt"
    assert args.port == 9000 and args.host == "127.0.0.1"
