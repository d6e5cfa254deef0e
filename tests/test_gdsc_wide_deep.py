"""The wide-and-deep GDSC network: its wide term is a per-drug linear model with an
elastic-net penalty, checked against closed forms and scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from gdsc_fixtures import write_gdsc_store
from sklearn.linear_model import Ridge

from pgxdl.baselines.deep_models import load_model_config
from pgxdl.data.datamodule import CohortDataModule
from pgxdl.data.store import CohortStore
from pgxdl.gdsc.baselines import PerDrugModels, ValidatedElasticNet
from pgxdl.gdsc.pairs import GDSCPairs
from pgxdl.gdsc.training import predict_test
from pgxdl.gdsc.wide_init import init_wide
from pgxdl.models import (
    CellDrugModel,
    CellMLPEncoder,
    FingerprintEncoder,
    PerDrugLinear,
    WideDeepCellDrugModel,
)
from pgxdl.training import build_module


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return write_gdsc_store(tmp_path_factory.mktemp("gdsc"))


@pytest.fixture(scope="module")
def spec(store):
    with CohortStore(store) as cohort:
        return cohort.spec("cell_blind")


def model(spec, **kwargs) -> WideDeepCellDrugModel:
    torch.manual_seed(0)
    return WideDeepCellDrugModel(spec, FingerprintEncoder, CellMLPEncoder, **kwargs).eval()


def inputs(spec, n: int = 12, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    numeric = torch.randn(n, spec.n_numeric, generator=g)
    categorical = torch.randint(0, spec.categorical_cardinalities[0], (n, 1), generator=g)
    drug = torch.randint(0, spec.n_drugs, (n,), generator=g)
    return torch.zeros(n, 0, 4, 0), numeric, torch.zeros_like(numeric), categorical, drug


def fill_wide(wide: PerDrugLinear, seed: int = 1) -> None:
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for parameter in wide.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=g))


def test_with_the_deep_term_off_the_model_is_the_per_drug_linear_model(spec):
    wide_only = model(spec, deep=False)
    fill_wide(wide_only.wide)
    sequence, numeric, missing, categorical, drug = inputs(spec)
    out = wide_only(sequence, numeric, missing, categorical, drug)["ln_ic50"][:, 0]
    w = wide_only.wide
    expected = torch.stack([
        w.bias[d, 0] + numeric[i] @ w.weight[d, :, 0] + w.categorical[0][d, categorical[i, 0], 0]
        for i, d in enumerate(drug.tolist())])
    torch.testing.assert_close(out, expected)
    both = model(spec)
    both.load_state_dict(wide_only.state_dict())
    deep = CellDrugModel.forward(both, sequence, numeric, missing, categorical, drug)["ln_ic50"]
    torch.testing.assert_close(both(sequence, numeric, missing, categorical, drug)["ln_ic50"],
                               expected[:, None] + deep)


def test_penalty_is_the_elastic_net_of_the_wide_weights_only(spec):
    net = model(spec, wide_l1=0.3, wide_l2=0.5)
    fill_wide(net.wide)
    w = net.wide
    weights = torch.cat([w.weight.flatten(), w.categorical[0].flatten()])
    expected = (0.3 * weights.abs().sum() + 0.25 * weights.pow(2).sum()) / spec.n_drugs
    torch.testing.assert_close(net.penalty(), expected)
    net.penalty().backward()
    torch.testing.assert_close(w.weight.grad, (0.3 * w.weight.sign() + 0.5 * w.weight).detach()
                               / spec.n_drugs)
    assert w.bias.grad is None  # biases are not shrunk


def test_training_loss_adds_the_penalty_and_validation_does_not(store):
    config = load_model_config("gdsc_wide_deep")
    data = CohortDataModule(str(store), split="cell_blind", batch_size=64, with_sequence=False)
    module = build_module(data.spec, config)
    fill_wide(module.network.wide)
    module.eval()
    batch = data.on_after_batch_transfer(next(iter(data.val_dataloader())), 0)
    module.log = lambda *args, **kwargs: None
    module.log_dict = lambda *args, **kwargs: None
    val = module._step(batch, 1, "val")
    train = module._step(batch, 1, "train")
    torch.testing.assert_close(train - val, module.network.penalty())


def test_wide_term_trained_with_l2_alone_is_ridge_regression(spec):
    """One drug, l1 = 0: the minimiser of mean squared error + l2 / 2 ||w||^2 (tissue
    weights included) is scikit-learn's ridge with ``alpha = n * l2 / 2``."""
    torch.manual_seed(0)
    net = model(spec, deep=False, wide_l1=0.0, wide_l2=0.2)
    _, numeric, _, categorical, _ = inputs(spec, n=200, seed=3)
    drug = torch.zeros(200, dtype=torch.long)
    truth = torch.randn(spec.n_numeric)
    y = numeric @ truth + 0.5 * categorical[:, 0].float() + torch.randn(200)
    optimizer = torch.optim.LBFGS(net.wide.parameters(), max_iter=500, tolerance_grad=1e-9,
                                  tolerance_change=1e-12, line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        pred = net.wide(numeric, categorical, drug)[:, 0]
        loss = ((pred - y) ** 2).mean() + net.penalty() * spec.n_drugs  # one drug's share
        loss.backward()
        return loss
    optimizer.step(closure)
    card = spec.categorical_cardinalities[0]
    design = np.hstack([numeric.numpy(), np.eye(card)[categorical[:, 0].numpy()]])
    ridge = Ridge(alpha=200 * 0.2 / 2).fit(design, y.numpy())
    np.testing.assert_allclose(net.wide.weight[0, :, 0].detach().numpy(),
                               ridge.coef_[:spec.n_numeric], atol=2e-4)
    fitted = net.wide(numeric, categorical, drug)[:, 0].detach().numpy()
    np.testing.assert_allclose(fitted, ridge.predict(design), atol=1e-3)


def test_elastic_net_start_predicts_exactly_the_per_drug_elastic_net(store):
    data = CohortDataModule(str(store), split="cell_blind", batch_size=256, with_sequence=False)
    module = build_module(data.spec, load_model_config("gdsc_wide_deep"))
    init_wide(module, str(store), "cell_blind", "elastic_net", seed=0)
    module.eval()
    rows, prediction = predict_test(module, data)
    pairs = GDSCPairs.read(store)
    parts = pairs.parts("cell_blind")
    net = PerDrugModels("en", lambda: ValidatedElasticNet(0))
    net.fit(pairs, np.flatnonzero(parts == 0), np.flatnonzero(parts == 1))
    expected = net.predict(pairs, rows)
    assert np.isfinite(expected).all() and np.ptp(expected) > 1.0
    np.testing.assert_allclose(prediction, expected, atol=1e-4)


def test_wide_init_errors_name_the_problem(store, spec):
    module = build_module(spec, load_model_config("gdsc_multitask"))
    with pytest.raises(ValueError, match="needs a WideDeepCellDrugModel"):
        init_wide(module, str(store), "cell_blind", "elastic_net")
    with pytest.raises(ValueError, match="wide_init must be one of"):
        init_wide(module, str(store), "cell_blind", "ridge")
    with pytest.raises(ValueError, match="wide_l1 and wide_l2 must be >= 0"):
        model(spec, wide_l1=-1.0)


def test_wide_term_has_its_own_learning_rate_in_the_optimizer(spec):
    config = load_model_config("gdsc_wide_deep")
    config["network"]["init_args"]["wide_lr"] = 1e-5
    module = build_module(spec, config)
    optimizer = module.configure_optimizers()["optimizer"]
    deep, wide = optimizer.param_groups
    assert wide["lr"] == 1e-5 and deep["lr"] == config["optimizer"]["init_args"]["lr"]
    assert {id(p) for p in wide["params"]} == {id(p) for p in module.network.wide.parameters()}
    n_params = len(list(module.network.parameters()))
    assert len(deep["params"]) + len(wide["params"]) == n_params
