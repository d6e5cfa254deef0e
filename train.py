"""Train, validate, test or predict a pgxdl model from composable YAML configs.

Examples
--------
``python train.py fit --config configs/experiment/simulated_cnn_gated.yaml``
``python train.py fit --config configs/trainer/cpu.yaml --config configs/model/cnn_gated.yaml
--data.class_path pgxdl.data.datamodule.CohortDataModule --data.store runs/simulated.h5``
``python train.py fit --config <run dir>/config_fit.yaml --ckpt_path last`` (resume)
"""

from pgxdl.training.lightning_cli import PgxdlCLI


def main(args=None) -> PgxdlCLI:
    """Run the CLI on ``args`` (``sys.argv`` when ``None``)."""
    return PgxdlCLI(args=args)


if __name__ == "__main__":
    main()
