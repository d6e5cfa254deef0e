"""Settings of the warfarin dosing environment (the ``env:`` block of configs/rl/*.yaml)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

from pgxdl.rl.simulator.parameters import INR_RESIDUAL_SD
from pgxdl.rl.simulator.variants import resolve_simulator

#: INR on the morning of day 0 (baseline), days 1, 3, 5, 7, then weekly to day 84.
DEFAULT_MEASUREMENT_DAYS = (0, 1, 3, 5, 7, *range(14, 90, 7))


@dataclass(frozen=True)
class RewardConfig:
    """Reward of one simulated day from its (error-free) INR at the end of the day.

    ``in_range`` if ``low_target <= INR <= high_target``; minus ``penalty_high`` if
    INR > ``high_alarm``; minus ``penalty_low`` if INR < ``low_alarm``; minus
    ``shaping * min((INR - centre)^2, 4)`` with ``centre`` the middle of the range.
    """

    in_range: float = 1.0
    low_target: float = 2.0
    high_target: float = 3.0
    low_alarm: float = 1.5
    high_alarm: float = 4.0
    penalty_low: float = 0.5
    penalty_high: float = 2.0
    shaping: float = 0.1

    def __post_init__(self) -> None:
        if not self.low_alarm <= self.low_target < self.high_target <= self.high_alarm:
            raise ValueError("reward: need low_alarm <= low_target < high_target <= high_alarm, "
                             f"got {self.low_alarm}, {self.low_target}, {self.high_target}, "
                             f"{self.high_alarm}")


@dataclass(frozen=True)
class EnvConfig:
    """How patients are drawn, what the agent sees and does, and how it is rewarded.

    ``population``: a built-in (``european``, ``east_asian``, ``african``) or IWPC estimate
    (``iwpc_all``, ``iwpc_white``, ``iwpc_asian``, ``iwpc_black``, read from ``iwpc_path``,
    by default the shared-data IWPC table, falling back to the built-in when absent).
    ``decide_on``: ``step_days`` (a decision every ``step_days`` days) or
    ``measurement_days`` (a decision on each measurement day, lasting until the next one,
    as clinics change doses when an INR comes back). ``action``: ``discrete`` (dose levels
    0..``max_dose_mg`` by ``dose_step_mg``) or ``continuous`` (Box [-1, 1] mapped onto
    0..``max_dose_mg``). ``n_measurements_obs`` last INRs and ``n_dose_history`` last daily
    doses are observed; covariates and genotype only when included. ``simulator``
    (``{kind, params}``) picks the PK/PD variant (:mod:`pgxdl.rl.simulator.variants`).
    """

    population: str = "european"
    iwpc_path: str | None = None
    episode_days: int = 90
    step_days: int = 1
    decide_on: str = "step_days"
    measurement_days: tuple[int, ...] = DEFAULT_MEASUREMENT_DAYS
    action: str = "discrete"
    max_dose_mg: float = 15.0
    dose_step_mg: float = 0.5
    include_genotype: bool = True
    include_covariates: bool = True
    n_measurements_obs: int = 3
    n_dose_history: int = 7
    inr_noise_sd: float = INR_RESIDUAL_SD
    iiv_scale: float = 1.0
    eta_clip_sd: float = 2.5
    substeps_per_day: int = 24
    reward: RewardConfig = field(default_factory=RewardConfig)
    simulator: dict = field(default_factory=lambda: {"kind": "hamberg2007"})

    def __post_init__(self) -> None:
        object.__setattr__(self, "measurement_days", tuple(int(d) for d in self.measurement_days))
        if self.action not in ("discrete", "continuous"):
            raise ValueError(f"env.action must be 'discrete' or 'continuous', got {self.action!r}")
        if self.decide_on not in ("step_days", "measurement_days"):
            raise ValueError("env.decide_on must be 'step_days' or 'measurement_days', got "
                             f"{self.decide_on!r}")
        if self.decide_on == "measurement_days" and 0 not in self.measurement_days:
            raise ValueError("env.decide_on 'measurement_days' needs day 0 in measurement_days")
        if self.episode_days < 1 or self.step_days < 1:
            raise ValueError("env.episode_days and env.step_days must be >= 1")
        if self.max_dose_mg <= 0 or self.dose_step_mg <= 0:
            raise ValueError("env.max_dose_mg and env.dose_step_mg must be > 0")
        if min(self.n_measurements_obs, self.n_dose_history) < 1:
            raise ValueError("env.n_measurements_obs and env.n_dose_history must be >= 1")
        if self.inr_noise_sd < 0:
            raise ValueError("env.inr_noise_sd must be >= 0")
        if not isinstance(self.simulator, dict):
            raise ValueError(f"env.simulator must be a mapping {{kind, params}}, got "
                             f"{self.simulator!r}")
        resolve_simulator(self.simulator)

    @classmethod
    def from_dict(cls, values: dict | None) -> EnvConfig:
        """Build from a YAML mapping; an unknown key is an error that names it."""
        values = dict(values or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown env setting(s) {unknown}; known: {sorted(known)}")
        reward = values.pop("reward", None)
        if isinstance(reward, dict):
            reward_known = {f.name for f in fields(RewardConfig)}
            bad = sorted(set(reward) - reward_known)
            if bad:
                raise ValueError(f"unknown env.reward setting(s) {bad}; known: "
                                 f"{sorted(reward_known)}")
            reward = RewardConfig(**reward)
        return cls(**values, reward=reward or RewardConfig())

    def to_dict(self) -> dict:
        """Plain mapping (for saving beside a run)."""
        out = asdict(self)
        out["measurement_days"] = list(self.measurement_days)
        return out
