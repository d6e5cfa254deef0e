"""Dosing environment: gymnasium checker, seeding, clinic-like measurements, rewards."""

from __future__ import annotations

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from pgxdl.rl.environment.config import DEFAULT_MEASUREMENT_DAYS, EnvConfig, RewardConfig
from pgxdl.rl.environment.dosing_env import WarfarinDosingEnv
from pgxdl.rl.environment.session import daily_reward
from pgxdl.rl.environment.vec_env import BatchedDosingVecEnv


def run_episode(env, seed, dose_mg=5.0):
    obs, info = env.reset(seed=seed)
    observations, rewards, infos = [obs], [], [info]
    done = False
    while not done:
        obs, reward, done, _, info = env.step(env.action_for_dose(dose_mg))
        observations.append(obs)
        rewards.append(reward)
        infos.append(info)
    return np.array(observations), np.array(rewards), infos


@pytest.mark.parametrize("action", ["discrete", "continuous"])
@pytest.mark.parametrize("decide_on", ["step_days", "measurement_days"])
def test_passes_gymnasium_env_checker(action, decide_on):
    check_env(WarfarinDosingEnv({"action": action, "decide_on": decide_on}),
              skip_render_check=True)


def test_same_seed_same_episode_other_seed_other_patient():
    env = WarfarinDosingEnv()
    obs_a, rew_a, _ = run_episode(env, seed=11)
    obs_b, rew_b, _ = run_episode(env, seed=11)
    np.testing.assert_array_equal(obs_a, obs_b)
    np.testing.assert_array_equal(rew_a, rew_b)
    _, rew_c, _ = run_episode(env, seed=12)
    assert not np.array_equal(rew_a, rew_c)


def test_inr_is_measured_only_on_schedule_days():
    env = WarfarinDosingEnv({"episode_days": 30})
    _, rewards, infos = run_episode(env, seed=0)
    measured_days = [info["day"] for info in infos if info["measured_inr"] is not None]
    assert measured_days == [d for d in DEFAULT_MEASUREMENT_DAYS if d < 30]
    assert len(rewards) == 30 and sum(len(i["true_inr"]) for i in infos[1:]) == 30
    assert [d for d, _ in env.measurements] == measured_days


def test_measurement_day_decisions_and_multi_day_steps():
    env = WarfarinDosingEnv({"decide_on": "measurement_days"})
    _, rewards, infos = run_episode(env, seed=1)
    assert [i["day"] for i in infos[:-1]] == list(DEFAULT_MEASUREMENT_DAYS)
    assert all(i["measured_inr"] is not None for i in infos[:-1])
    env3 = WarfarinDosingEnv({"step_days": 3})
    _, rewards3, infos3 = run_episode(env3, seed=1)
    assert len(rewards3) == 30 and all(len(i["true_inr"]) == 3 for i in infos3[1:])


def test_rewards_sum_the_daily_rewards_of_the_true_inr():
    env = WarfarinDosingEnv({"step_days": 7, "episode_days": 28})
    _, rewards, infos = run_episode(env, seed=2, dose_mg=6.0)
    expected = [daily_reward(np.array(i["true_inr"]), RewardConfig()).sum() for i in infos[1:]]
    np.testing.assert_allclose(rewards, expected)


def test_daily_reward_by_hand():
    cfg = RewardConfig(in_range=1.0, penalty_low=0.5, penalty_high=2.0, shaping=0.1)
    inr = np.array([1.0, 2.5, 3.0, 3.5, 4.5])
    expected = [-0.5 - 0.1 * 2.25, 1.0, 1.0 - 0.1 * 0.25, -0.1 * 1.0, -2.0 - 0.1 * 4.0]
    np.testing.assert_allclose(daily_reward(inr, cfg), expected)


def test_observation_blocks_follow_the_config():
    full = WarfarinDosingEnv()
    bare = WarfarinDosingEnv({"include_genotype": False, "include_covariates": False})
    assert full.observation_space.shape[0] == bare.observation_space.shape[0] + 3 + 6 + 3
    assert "cyp2c9" in full.observations.layout and "cyp2c9" not in bare.observations.layout
    obs, _ = full.reset(seed=4)
    record = full.session.patients.covariates
    assert obs[full.observations.layout["cyp2c9"]].argmax() == record.cyp2c9[0]
    obs, _, _, _, _ = full.step(full.action_for_dose(7.5))
    assert obs[full.observations.layout["dose"]][0] == pytest.approx(7.5 / 15.0)


def test_actions_and_doses_round_trip():
    env = WarfarinDosingEnv()
    for action in range(env.action_space.n):
        assert env.action_for_dose(env.dose_for_action(action)) == action
    box = WarfarinDosingEnv({"action": "continuous"})
    assert box.dose_for_action(np.array([-1.0])) == 0.0
    assert box.dose_for_action(np.array([1.0])) == 15.0
    assert box.dose_for_action(box.action_for_dose(6.0)) == pytest.approx(6.0)


def test_config_errors_name_the_setting():
    with pytest.raises(ValueError, match="unknown env setting"):
        WarfarinDosingEnv({"episode_length": 90})
    with pytest.raises(ValueError, match="unknown env.reward setting"):
        EnvConfig.from_dict({"reward": {"bonus": 1}})
    with pytest.raises(ValueError, match="decide_on"):
        EnvConfig(decide_on="weekly")


def test_batched_vec_env_auto_resets_like_dummy_vec_env():
    vec = BatchedDosingVecEnv(EnvConfig(decide_on="measurement_days"), n_envs=4, seed=0)
    vec.seed(3)
    obs = vec.reset()
    assert obs.shape == (4, vec.observation_space.shape[0])
    for _ in DEFAULT_MEASUREMENT_DAYS:
        obs, rewards, dones, infos = vec.step(np.full(4, 10))
        assert rewards.shape == (4,)
    assert dones.all() and "terminal_observation" in infos[0]
    assert infos[0]["episode"]["l"] == len(DEFAULT_MEASUREMENT_DAYS)
    np.testing.assert_allclose(obs[:, vec.observations.layout["day"]], 0.0)
    first, second = (BatchedDosingVecEnv(EnvConfig(), n_envs=3) for _ in range(2))
    first.seed(5)
    second.seed(5)
    np.testing.assert_array_equal(first.reset(), second.reset())
