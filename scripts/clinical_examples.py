"""Developer script: write the clinical example inputs, and render the reports to PNG.

``python scripts/clinical_examples.py`` writes synthetic example inputs (no real person)
into ``docs/examples/clinical/``: a FHIR R4 Bundle, a VCF + record CSV (with the reference
slices, windows and the ``vcf_ehr`` config they train with) and two CDS Hooks requests
(warfarin order-select, citalopram order-sign).

``--render`` also trains a tiny model on them, runs ``pgxdl predict --report`` into
``runs/clinical_example/`` and screenshots a patient page and the cohort page with
headless Chromium (Debian's ``chromium``) into that folder, for a person to look at.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
from pathlib import Path

from pgxdl.clinical.synthetic import hook_request, write_synthetic_cohort
from pgxdl.io import atomic_write_text

EXAMPLES = Path("docs/examples/clinical")


def write_examples(folder: Path) -> dict[str, Path]:
    """The example inputs (module doc); returns their paths by name."""
    paths = write_synthetic_cohort(folder, n=80, seed=0, bundle_people=5)
    bundle = json.loads(paths["bundle"].read_text())
    paths["hook_warfarin"] = atomic_write_text(
        folder / "cds_hooks_warfarin_order_select.json",
        json.dumps(hook_request(bundle, "NEW0000", "warfarin"), indent=1))
    paths["hook_citalopram"] = atomic_write_text(
        folder / "cds_hooks_citalopram_order_sign.json",
        json.dumps(hook_request(bundle, "NEW0001", "citalopram", "order-sign"), indent=1))
    return paths


def render(paths: dict[str, Path], out: Path) -> list[Path]:
    """Train a tiny model, predict with reports, screenshot two pages with Chromium."""
    import pandas as pd
    import pytorch_lightning as pl
    import torch
    import yaml

    from pgxdl.builders.store_build import build_store
    from pgxdl.clinical.predict import predict_people
    from pgxdl.clinical.report.writer import write_reports
    from pgxdl.data.datamodule import CohortDataModule
    from pgxdl.training import build_module

    torch.set_num_threads(1)
    config = yaml.safe_load(paths["config"].read_text())
    store = build_store(config, out / "store.h5") if not (out / "store.h5").exists() \
        else out / "store.h5"
    pl.seed_everything(0)
    data = CohortDataModule(str(store), batch_size=32)
    network = {"network": {"class_path": "pgxdl.models.MultimodalModel", "init_args": {
        "sequence_encoder": {"class_path": "pgxdl.models.CNNSequenceEncoder",
                             "init_args": {"widths": [16], "depth": 1, "stem_kernel": 5}},
        "tabular_encoder": {"class_path": "pgxdl.models.TabularEncoder",
                            "init_args": {"hidden": [16]}}, "heteroscedastic": True}}}
    trainer = pl.Trainer(max_epochs=30, logger=False, enable_checkpointing=False,
                         enable_progress_bar=False, accelerator="cpu")
    trainer.fit(build_module(data.spec, network), datamodule=data)
    checkpoint = out / "example.ckpt"
    trainer.save_checkpoint(checkpoint)
    ehr = pd.read_csv(paths["ehr"]).head(12)
    ehr.loc[3, "age"] = 19  # allowed, below every training subject
    ehr.loc[5, "weight"] = None
    ehr.loc[7, "weight"] = 400  # outside the allowed range: fails
    ehr.to_csv(out / "new_patients.csv", index=False)
    result = predict_people([checkpoint], out / "new_patients.csv", paths["vcf"])
    write_reports(result, result.inputs["ensemble"], out / "reports", "warfarin",
                  paths["vcf"])
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        raise FileNotFoundError("chromium not found; apt-get install -y chromium")
    shots = []
    for page, size in (("patient_0001.html", "1000,1500"), ("index.html", "1300,1100")):
        shot = out / f"screenshot_{Path(page).stem}.png"
        subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                        "--hide-scrollbars", f"--window-size={size}",
                        f"--screenshot={shot.resolve()}",
                        (out / "reports" / page).resolve().as_uri()],
                       check=True, capture_output=True, timeout=120)
        shots.append(shot)
    return shots


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", default=str(EXAMPLES))
    parser.add_argument("--render", action="store_true")
    parser.add_argument("--out", default="runs/clinical_example")
    args = parser.parse_args(argv)
    paths = write_examples(Path(args.folder))
    print("examples:", ", ".join(str(p) for p in paths.values()))
    if args.render:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        for shot in render(paths, out):
            print("screenshot:", shot)


if __name__ == "__main__":
    main()
