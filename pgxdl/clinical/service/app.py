"""The FastAPI app of the CDS Hooks service: discovery, hook calls, errors.

``GET /cds-services`` lists the services; ``POST /cds-services/{id}`` answers a hook with
``{"cards": [...]}``. Malformed JSON or a request that is not a CDS Hooks call: 400 with
the reason; an unknown service: 404; missing prefetch: a card saying what is missing. The
model, the reference and pypgx's tables load once, when the app is created. Nothing about
a patient is logged: the log holds the service id, status and time only.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

from pgxdl.clinical.cpic.phenotypes import gene_call
from pgxdl.clinical.ensemble import Ensemble
from pgxdl.clinical.service.assess import HookRequestError, assess, parse_request
from pgxdl.clinical.service.hooks import services
from pgxdl.genome.reference.fasta import ReferenceGenome

logger = logging.getLogger("pgxdl.clinical.service")


def create_app(checkpoints: list[str | Path] | None = None, reference: str | Path | None = None,
               as_of: str | None = None) -> FastAPI:
    """The app; ``checkpoints`` (a warfarin dosing model, ensemble allowed) load now."""
    ensemble = Ensemble.load(checkpoints) if checkpoints else None
    genome = None
    if ensemble is not None and ensemble.uses_genome:
        path = ensemble.serving.reference_path(reference)
        genome = ReferenceGenome(path, build=ensemble.serving.reference.get("build") or None)
    offered = services(model_available=ensemble is not None)
    for gene, diplotype in (("CYP2C9", "*1/*1"), ("CYP2C19", "*1/*1"), ("CYP2D6", "*1/*1")):
        gene_call(gene, (diplotype,))  # import pypgx and load its tables before serving
    app = FastAPI(title="pgxdl CDS Hooks service", version="2.0")
    app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "POST"],
                       allow_headers=["*"])

    @app.get("/cds-services")
    def discovery() -> dict:
        return {"services": [service.discovery() for service in offered.values()]}

    @app.post("/cds-services/{service_id}")
    async def hook(service_id: str, request: Request) -> JSONResponse:
        start = time.perf_counter()
        service = offered.get(service_id)
        if service is None:
            status, content = 404, {"error": f"unknown service {service_id!r}; GET "
                                             f"/cds-services lists {sorted(offered)}"}
        else:
            try:
                parsed = parse_request(await request.body(), service)
                status, content = 200, {"cards": assess(parsed, service, ensemble, genome,
                                                        as_of)}
            except HookRequestError as error:
                status, content = 400, {"error": str(error)}
        logger.info("service=%s status=%d ms=%.1f", service_id if service else "unknown",
                    status, 1000 * (time.perf_counter() - start))
        return JSONResponse(content, status_code=status)

    return app
