"""The twin's ensemble: members that differ in the parameters behind unplanned trouble.

Why an ensemble. Counts correct the state of the crowd, but a forecast run from a corrected
state with the planned parameters drifts back to the plan within one horizon: a gate working
at a third of its lanes keeps being modelled at full speed. So each member carries its own
parameters and the counts update them too, as in the ensemble Kalman filter with an
augmented state (Evensen 2003, "The Ensemble Kalman Filter: theoretical formulation and
practical implementation", Ocean Dynamics 53) and its use on agent-based crowd models (Ward,
Evans & Malleson 2016, "Dynamic calibration of agent-based models using data assimilation",
R. Soc. Open Sci. 3; Malleson et al. 2020, "Simulating crowds in real time with agent-based
modelling and a particle filter", Environ. Plan. B 47).

Parameters, all multiplicative factors on the plan (1 = as planned), held as logarithms:

* ``cap:<checkpoint>``: screening capacity of a gate (lanes open x service rate); the engine is
  told through the ``service_factor`` hook (screening times / factor);
* ``flow:<link>``: flow capacity of a door or exit (its entry headways / factor);
* ``speed``: walking speed everywhere (rain, a slow crowd).

Update (one scalar observation at a time, ``update``): the augmented vector of each member is
its parameters plus its predicted observations; for an observation ``o`` with error variance
``R`` and members' predictions ``y_i``, every *local* parameter (localisation: a gate's
factor only hears its own queue, its approach links and its turnstile counts, a door's factor
its own link and concourse, the speed the walkways and stairs, not the doors) moves by
``cov(theta, y) / (var(y) + R) * (o + e_i - y_i)`` with
perturbed observations ``e_i ~ N(0, R)``; the other predictions move by the same gain so the
next observation sees the updated ensemble. Afterwards the spread of each parameter is kept
at least ``min_spread`` (additive jitter: members must not collapse, or a gate that breaks
later could no longer be learnt).

Members reach the engine only through its public seams: ``TwinPart`` is an engine part
(``simulator.engine.parts``) built per run with its member's parameters.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from simulator.engine.parts import Part, PartFactory, RunContext
from simulator.scenario.model import Scenario

LOG_BOUNDS = {"cap": (math.log(0.1), math.log(1.6)), "flow": (math.log(0.03), math.log(1.6))}
SPEED_BOUNDS = (math.log(0.5), math.log(1.3))
# correlation of the model's error between the counts one parameter hears (see ``update``):
# n counts of a signal common to all of them are worth at most 1 / SHARED_CORR = 4 of them
SHARED_CORR = 0.25
# trouble probes (``probe_trouble``): a count this many standard deviations outside the
# members' predictions sends members to try its gates and doors partly and nearly shut,
# at these shares of the way (in log) from the plan to the lower bound; not while a member
# already sits below PROBE_ABOVE of that way. When every member but one sits there (the
# trouble was learnt), members try it open again instead, at PROBE_OPEN of that way
PROBE_Z = 4.0
PROBE_DEPTHS = (1.0 / 3.0, 5.0 / 6.0)
PROBE_ABOVE = 0.25
PROBE_OPEN = (0.0, 1.0 / 6.0)


@dataclass(frozen=True)
class ParamSpace:
    """Which parameters the ensemble learns for a scenario, and which observations each hears."""

    names: tuple[str, ...]
    prior_sd: tuple[float, ...]
    local: Mapping[str, frozenset[str]]  # parameter -> zones whose counts may update it

    @classmethod
    def of(cls, scenario: Scenario) -> ParamSpace:
        """Gates, doors and exits out of areas, and the speed, with the zones each governs."""
        venue = scenario.venue
        names, sds = [], []
        local: dict[str, frozenset[str]] = {}
        into: dict[str, list[str]] = {}
        for lk in venue.links:
            into.setdefault(lk.target, []).append(lk.id)
        for cp in venue.checkpoints:
            name = f"cap:{cp.id}"
            names.append(name)
            sds.append(0.25)
            local[name] = frozenset({cp.id, *into.get(cp.id, [])})
        areas = {a.id for a in venue.areas}
        for lk in venue.links:
            if getattr(lk, "kind", "walkway") != "door" or lk.source not in areas:
                continue
            if getattr(lk, "two_way", True):
                continue  # vomitories: both ways, watched through their concourse already
            name = f"flow:{lk.id}"
            names.append(name)
            sds.append(0.2)
            local[name] = frozenset({lk.id, lk.source})
        names.append("speed")
        sds.append(0.12)
        # the walkways and stairs: fans on one at a given flow = flow x length / speed. Not the
        # doors: a door's count is its queue, set by its flow capacity and by what arrives
        # (a vomitory is 8 m: no time is spent walking it), and in egress the members' doors
        # correlate with the speed only through the wave arriving sooner, which read with
        # the door's own error (a queue the member drains faster) taught "faster" in the rain
        local["speed"] = frozenset(lk.id for lk in venue.links if lk.kind != "door")
        return cls(tuple(names), tuple(sds), local)

    @property
    def may_break(self) -> np.ndarray:
        """Which parameters trouble can take at once (gates and doors: ``probe_trouble``):
        those that do not change slowly."""
        return ~self.persists

    @property
    def persists(self) -> np.ndarray:
        """Which parameters change slowly (renewed round the ensemble's mean, ``renew``)."""
        return np.asarray([name == "speed" for name in self.names])

    def bounds(self, name: str) -> tuple[float, float]:
        return SPEED_BOUNDS if name == "speed" else LOG_BOUNDS[name.split(":", 1)[0]]


@dataclass(frozen=True)
class MemberParams:
    """One member's factors (plain numbers, so they travel to worker processes)."""

    service: Mapping[str, float] = field(default_factory=dict)  # checkpoint -> capacity factor
    flow: Mapping[str, float] = field(default_factory=dict)  # link -> flow factor
    speed: float = 1.0

    @classmethod
    def from_vector(cls, space: ParamSpace, log_values: Sequence[float]) -> MemberParams:
        service, flow, speed = {}, {}, 1.0
        for name, v in zip(space.names, log_values, strict=True):
            if name == "speed":
                speed = math.exp(v)
            elif name.startswith("cap:"):
                service[name[4:]] = math.exp(v)
            else:
                flow[name[5:]] = math.exp(v)
        return cls(service, flow, speed)

    def part(self) -> PartFactory:
        """The engine part that runs a member with these factors."""
        params = self

        def make(ctx: RunContext) -> TwinPart:
            return TwinPart(ctx, params)

        return make


class TwinPart(Part):
    """Applies a member's factors to its run and records what the twin reads back.

    Speeds and supply tables are the run's static tables (rebuilt fresh on every warm start),
    so scaling them here never compounds across cycles; new lists are assigned, the shared
    plan tables are never mutated (the levers part scales speeds the same way).
    """

    def __init__(self, ctx: RunContext, params: MemberParams) -> None:
        super().__init__(ctx)
        self.params = params
        banks = {cp.id: i for i, cp in enumerate(ctx.scenario.venue.checkpoints)}
        self.factor = [1.0] * len(banks)
        for cp, f in params.service.items():
            self.factor[banks[cp]] = 1.0 / max(f, 1e-3)
        w = ctx.world
        for link_id, f in params.flow.items():
            lk = w.links[ctx.link_index(link_id)]
            lk.entry_headway = [h / f for h in lk.entry_headway]
            lk.min_headway = min(lk.entry_headway)
        if params.speed != 1.0:
            for lk in w.links:
                lk.speeds = [v * params.speed for v in lk.speeds]
        self.elements = [e for e in ctx.net.elements if e.kind != "exit"]
        self.index = {e.id: i for i, e in enumerate(ctx.net.elements)}
        self.out_acc = [0] * len(ctx.net.elements)  # outflow already sampled in this run
        self.per_min = 60.0 / ctx.scenario.settings.sample_interval_s
        self.record: list[tuple[float, list[int], list[float]]] = []  # (t, occ, waits)
        self.recording = False

    def service_factor(self, bank: int) -> float:
        return self.factor[bank]

    def sampled(self) -> None:
        """Keep the outflow the sample just reset, and the forecast's row when recording."""
        w = self.ctx.world
        cols = w.samples
        n = len(self.elements)
        flows = cols["outflow_per_min"][-n:]
        for e, f in zip(self.elements, flows, strict=True):
            self.out_acc[self.index[e.id]] += round(f / self.per_min)
        if self.recording:
            self.record.append((w.now, list(w.occ), list(cols["mean_wait_s"][-n:])))

    def outflow(self) -> list[int]:
        """Persons who have left each element since this run was built."""
        w = self.ctx.world
        return [a + b for a, b in zip(self.out_acc, w.outflow, strict=True)]


def update(
    theta: np.ndarray,
    predicted: np.ndarray,
    observed: np.ndarray,
    variance: np.ndarray,
    local: np.ndarray,
    rng: np.random.Generator,
    shared: np.ndarray | None = None,
    corr: float = SHARED_CORR,
) -> np.ndarray:
    """Domain-localised EnKF update of the parameters ``theta`` (members x params).

    ``predicted`` (members x obs) are the members' forecasts of the ``observed`` values with
    error ``variance``; ``local[k, j]`` says whether observation k may move parameter j.
    Each parameter is analysed on its own with only its local observations, all at once
    (a local analysis as in Ott et al. 2004 and Hunt et al. 2007, "Efficient data assimilation
    for spatiotemporal chaos", Physica D 230): gain ``K = C_ty (C_yy + R)^-1`` from the
    members' deviations, applied to perturbed observations (Evensen 2003). A count at one gate
    therefore cannot move another gate through a spurious correlation of twelve members, and
    a far-away observation cannot eat a local one's innovation (as the serial scheme did,
    which updated every prediction by every observation).

    Correlated errors. ``shared`` is the standard deviation of the part of each observation's
    error that is the model's (corrections, arrivals, release timing), not the camera's: it
    is common to the counts a parameter hears, so ``R`` has ``corr * shared_k * shared_l``
    off its diagonal (an exchangeable correlation; Stewart, Dance & Nichols 2008, Int. J.
    Numer. Meth. Fluids 56, on correlated observation errors; Liu & Rabier 2002, Q. J. R.
    Meteorol. Soc. 128, on what treating them as independent costs). The filter then discounts
    exactly what such an error could mimic: n counts that all move the same way (as the
    model's error would move them) are worth at most about ``1 / corr`` counts, while a
    pattern that differs between zones (a slower crowd fills the walkways near the stands and
    empties those further on) keeps the information of every count. The perturbations are
    drawn with the same ``R``. The earlier rule (every count's ``R`` scaled up by
    n / 4 beyond four) discounted both alike, and counted every count with any spread at
    all, so the walking speed, heard through 16 weakly informative walkways, was never learnt.
    """
    theta = theta.copy()
    n = theta.shape[0]
    if n < 2 or observed.shape[0] == 0:
        return theta
    if not 0.0 <= corr < 1.0:
        raise ValueError(f"update: the shared error's correlation must be in [0, 1), got {corr}")
    m = np.zeros_like(variance) if shared is None else np.minimum(shared, np.sqrt(variance))
    d_y, var_y = _spread(predicted)
    informative = var_y > 1e-9  # no member differs here: the counts say nothing
    own = np.sqrt(variance - corr * m**2)  # each count's own error, and one common to all
    common = rng.normal(0.0, 1.0, (n, 1)) * math.sqrt(corr) * m
    perturbed = observed + rng.normal(0.0, 1.0, predicted.shape) * own + common
    innovation = perturbed - predicted  # members x obs
    d_theta = theta - theta.mean(axis=0)
    for j in range(theta.shape[1]):
        obs = np.nonzero(local[:, j] & informative)[0]
        if obs.size == 0:
            continue
        dy = d_y[:, obs]
        c_ty = d_theta[:, j] @ dy / (n - 1)
        c_ty *= _trust(c_ty, d_theta[:, j], var_y[obs], n)
        if not np.any(c_ty):
            continue
        mo = m[obs]
        r = np.diag(variance[obs] - corr * mo**2) + corr * np.outer(mo, mo)
        gain = np.linalg.solve(dy.T @ dy / (n - 1) + r, c_ty)
        theta[:, j] += innovation[:, obs] @ gain
    return theta


def _spread(predicted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The members' deviations from their mean (members x obs) and each column's variance."""
    d_y = predicted - predicted.mean(axis=0)
    return d_y, (d_y**2).sum(axis=0) / (predicted.shape[0] - 1)


def _trust(cov: np.ndarray, d_theta: np.ndarray, var_y: np.ndarray, n: int) -> np.ndarray:
    """Damping of each gain by how far its correlation stands out of sampling noise.

    With a dozen members a correlation of 0.3 is noise (its standard error is about
    1/sqrt(n)); taking it at face value makes parameters random-walk. The factor
    ``max(0, 1 - 1 / ((n - 1) r^2))`` keeps strong correlations and zeroes weak ones (a
    sampling-error correction in the spirit of Anderson 2012, Mon. Wea. Rev. 140).
    """
    sd_theta = float(d_theta.std(ddof=1))
    if sd_theta <= 0:
        return np.zeros_like(cov)
    r2 = cov**2 / (sd_theta**2 * np.maximum(var_y, 1e-12))
    return np.maximum(0.0, 1.0 - 1.0 / ((n - 1) * np.maximum(r2, 1e-12)))


def keep_spread(
    theta: np.ndarray, min_sd: np.ndarray, lo: np.ndarray, hi: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Jitter each parameter whose ensemble spread fell below ``min_sd``; clip to its bounds."""
    sd = theta.std(axis=0, ddof=1) if theta.shape[0] > 1 else np.zeros(theta.shape[1])
    extra = np.sqrt(np.maximum(min_sd**2 - sd**2, 0.0))
    theta = theta + rng.normal(0.0, 1.0, theta.shape) * extra
    return np.clip(theta, lo, hi)


def renew(
    theta: np.ndarray,
    member: int,
    prior_sd: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    rng: np.random.Generator,
    persists: np.ndarray | None = None,
) -> np.ndarray:
    """``theta`` with one member drawn afresh: from the plan's prior where trouble can end.

    Trouble ends: a door learnt shut, with members clipped at the bound, predicts the same for
    them and the filter can no longer see it reopen. A member that tries the plan again makes
    the difference visible; if the trouble persists the update sends it back.

    Gate lanes and doors are events (lanes shut, a door blocked) that end at any moment, so
    they are always drawn from the plan's prior; the counts inform them strongly (their own
    queue and line counts) and send a wrong try back within a cycle. Parameters marked
    ``persists`` (the walking speed: weather changes slowly) are drawn with the prior's spread
    around the ensemble's mean unless a member sits at a bound (the kernel of a regularised
    particle filter: it tries values on either side of the estimate): a draw from the prior
    pulled the speed back to the plan by 1/N of its distance at every renewal, and the counts
    inform it too weakly per cycle to push it back (rain at 75% learnt as 100%). Drawing the
    doors round the mean too (measured 2026-12-02, blocked north exit) kept a door learnt at
    4% there after it reopened: no member tried it open, and the +10 min error rose from 693
    to 990 persons.
    """
    theta = theta.copy()
    eps = 1e-9
    pinned = ((theta <= lo + eps) | (theta >= hi - eps)).any(axis=0)
    around = np.zeros(theta.shape[1], dtype=bool) if persists is None else persists & ~pinned
    centre = np.where(around, theta.mean(axis=0), 0.0)
    theta[member] = np.clip(centre + rng.normal(0.0, 1.0, prior_sd.shape) * prior_sd, lo, hi)
    return theta


def probe_trouble(
    theta: np.ndarray,
    predicted: np.ndarray,
    observed: np.ndarray,
    variance: np.ndarray,
    local: np.ndarray,
    lo: np.ndarray,
    may_break: np.ndarray,
    z_limit: float = PROBE_Z,
) -> tuple[np.ndarray, list[int]]:
    """``theta`` with members sent to try trouble the counts say the ensemble cannot explain.

    Why. The update is linear in the members' spread: it learns what the members span. A
    door blocked at the whistle is 15 prior standard deviations from the plan, and while the
    crowd is still short of the door's capacity every member predicts the same count, so
    the counts carry no gradient; the ensemble crawled there in a minute and a half of
    15-s cycles (factor 1.3, 0.8, 0.45, 0.18, measured on the blocked north exit), and its
    alert came 4 minutes before the concourse reached LoS E. When a count lies far outside
    what the members predict (normalised innovation ``|o - mean y| / sqrt(var y + R)`` above
    ``z_limit``) and no member already tries the parameter much below the plan, the two
    members with the highest value of each parameter local to that count try it partly and
    nearly shut (``PROBE_DEPTHS`` of the way from the plan to the lower bound) for the
    next cycle. The next update then sees members that differ where it matters and moves
    the ensemble to whichever explains the counts; a probe the counts refute is pulled back
    like any member (a heavy-tailed proposal, as a particle filter's jump moves, Doucet,
    de Freitas & Gordon 2001, "Sequential Monte Carlo Methods in Practice", ch. 1).

    Trouble ends the same way: when a door was learnt shut (every member, or all but one
    renewed member, below ``PROBE_ABOVE`` of the way) and a count local to it is as far out,
    the lowest members try it open (``PROBE_OPEN``: the plan, and a sixth of the way). A
    single renewed member at the plan moved the others only a little per cycle (its
    correlation is one member's, and a link's count has twice the model's error), so the
    blocked north exit was still learnt at 7% of plan a minute after it reopened, and the
    forecasts held its concourse full while it emptied.

    ``may_break[j]`` marks the parameters trouble can take (gates and doors; the walking
    speed changes with the weather, slowly, and is learnt by the update alone). Returns the
    new ``theta`` and the parameters probed.
    """
    theta = theta.copy()
    n = theta.shape[0]
    if n < 2 or observed.shape[0] == 0:
        return theta, []
    _, var_y = _spread(predicted)
    z = np.abs(observed - predicted.mean(axis=0)) / np.sqrt(var_y + variance)
    surprised = z > z_limit
    probes = min(len(PROBE_DEPTHS), n // 4 or 1)
    probed = []
    for j in np.nonzero(may_break)[0]:
        if not np.any(surprised & local[:, j]):
            continue
        low = theta[:, j] <= PROBE_ABOVE * lo[j]
        if not low.any():  # nobody tries it shut: the two most open do
            order, depths = np.argsort(-theta[:, j], kind="stable")[:probes], PROBE_DEPTHS
        elif np.count_nonzero(~low) < probes:  # learnt shut: the lowest try it open
            missing = probes - np.count_nonzero(~low)
            order = np.argsort(theta[:, j], kind="stable")[:missing]
            depths = PROBE_OPEN[len(PROBE_OPEN) - missing :]  # the plan first, if none tries it
        else:
            continue  # members already try both: the update decides
        for member, depth in zip(order, depths, strict=False):
            theta[member, j] = depth * lo[j]
        probed.append(int(j))
    return theta, probed


def quantiles(values: np.ndarray, axis: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """p10, p50, p90 along ``axis`` (the members)."""
    q = np.percentile(values, [10, 50, 90], axis=axis)
    return q[0], q[1], q[2]
