"""The ``serve`` subcommand: the CDS Hooks 2.0 service under uvicorn.

``pgxdl serve --ckpt warfarin.ckpt [--ckpt fold2.ckpt] [--reference GRCh38.fa]
[--host 127.0.0.1] [--port 8080]``. Without ``--ckpt`` only the antidepressant (CPIC)
services run. The model loads once at start; the access log shows paths and status codes,
never request bodies.
"""

from __future__ import annotations

import argparse

HELP = "CDS Hooks service (FastAPI + uvicorn): warfarin dose and antidepressant CPIC cards"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``serve`` subcommand's options."""
    parser.add_argument("--ckpt", action="append", default=None,
                        help="warfarin dosing checkpoint (repeat for an ensemble)")
    parser.add_argument("--reference", help="reference FASTA of the model's build")
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--as-of", help="ISO date for ages from birth dates (default today)")
    parser.add_argument("--log-level", default="info")


def run(args: argparse.Namespace) -> int:
    """Load the model, then serve until interrupted."""
    import uvicorn

    from pgxdl.clinical.service.app import create_app

    app = create_app(args.ckpt, args.reference, args.as_of)
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
    return 0
