"""The script library: what scripts, global events and actions reach as ``rtoc.<name>``.

Every function takes a signal as ``x, y`` (plain sequences or numpy arrays of the
same length, ``x`` in seconds, ``y`` in the signal's unit) or as ONE argument with
``.x`` and ``.y`` (``Device.Signal`` in a script), e.g. ``rtoc.mean(Device.Signal)``.
Further arguments after such a signal go by keyword: ``rtoc.window(Device.Signal, n=10)``.
Arrays come back as new float64 numpy arrays.

The RTOC 2.x names and argument orders keep working (``lsfit``, ``resample``,
``resampleFourier``, ``combine``, ``runningMean``, ``mean``, ``d``, ``diff``, ``norm``,
``PID``); RTOC's ``self`` argument is gone. numpy is enough for everything except
``lsfit`` and ``resampleFourier``, which need scipy (imported only when called).
"""

from __future__ import annotations

import importlib
import itertools
import math
import numbers
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "PID",
    "combine",
    "d",
    "derivative",
    "diff",
    "integral",
    "lowpass",
    "lsfit",
    "mean",
    "norm",
    "resample",
    "resampleFourier",
    "runningMean",
    "stats",
    "window",
]

Pair = tuple[np.ndarray, np.ndarray]

# lowpass works in blocks at most this many time constants long, so exp() stays finite.
_BLOCK_TAUS = 300.0


# --- helpers ----------------------------------------------------------------------------


def _is_signal(obj: object) -> bool:
    return hasattr(obj, "x") and hasattr(obj, "y")


def _read_signal(obj: Any) -> tuple[Any, Any]:
    """``(x, y)`` of a signal-like object, read in one go where it allows that.

    A logger signal (``samples()``) or a script's ``Device.Signal`` (unpacks as
    ``x, y``) gives a consistent snapshot while samples keep streaming in; reading
    ``.x`` then ``.y`` separately could see one sample more in one than the other.
    """
    samples = getattr(obj, "samples", None)
    if callable(samples):
        xs, ys = samples()
        return xs, ys
    if hasattr(obj, "__iter__"):
        try:
            xs, ys = obj
        except (TypeError, ValueError):
            pass
        else:
            return xs, ys
    return obj.x, obj.y


def _array(values: Any, name: str) -> np.ndarray:
    try:
        array = np.array(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be a sequence of numbers ({error})") from None
    if array.ndim != 1:
        raise ValueError(f"{name} must be a 1-D sequence of numbers, got {array.ndim}-D")
    return array


def _xy(x: Any, y: Any = None) -> Pair:
    """``x, y`` as float arrays of equal length; ``x`` may be one object with ``.x``/``.y``."""
    if _is_signal(x):
        if y is not None:
            raise TypeError(
                "x is a signal (it has .x and .y), so y must be left out; "
                "give further arguments by keyword, e.g. rtoc.window(Device.Signal, n=10)"
            )
        x, y = _read_signal(x)
    elif y is None:
        raise TypeError("y is missing: give x and y, or one signal with .x and .y")
    xs = _array(x, "x")
    ys = _array(y, "y")
    if len(xs) != len(ys):
        raise ValueError(f"x and y must have the same length, got {len(xs)} and {len(ys)}")
    return xs, ys


def _need(xs: np.ndarray, count: int, what: str) -> None:
    if len(xs) < count:
        plural = "" if count == 1 else "s"
        raise ValueError(f"{what} needs at least {count} sample{plural}, got {len(xs)}")


def _count(n: Any, name: str = "n") -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise ValueError(f"{name} must be a whole number >= 1, got {n!r}")
    return int(n)


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a number, got {value!r}")
    return float(value)


def _sorted(xs: np.ndarray, name: str = "x") -> None:
    if np.any(np.diff(xs) < 0):
        raise ValueError(f"{name} must be in increasing order (oldest sample first)")


def _scipy(module: str, who: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise ImportError(f"rtoc.{who} needs scipy: pip install scipy") from error


# --- RTOC 2.x ---------------------------------------------------------------------------


def lsfit(
    x: ArrayLike,
    y: ArrayLike | None = None,
    func: str | Callable[..., Any] = "linear",
    x0: ArrayLike | None = None,
    n: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Least-squares fit of ``func`` to the samples (scipy.optimize.curve_fit; needs scipy).

    ``func`` is ``"linear"`` (a + b*x), ``"quad"`` (a + b*x + c*x²) or a callable
    ``f(x, *params)``; ``x0`` is the initial guess (curve_fit's default when None).
    Returns ``(x_fit, y_fit, params)``: ``x_fit = linspace(min(x), max(x), n)`` with
    ``n`` defaulting to the number of samples, ``y_fit = func(x_fit, *params)``.
    """
    xs, ys = _xy(x, y)
    if isinstance(func, str):
        models: dict[str, tuple[Callable[..., Any], int]] = {
            "linear": (_linear, 2),
            "quad": (_quad, 3),
        }
        if func not in models:
            raise ValueError(f"func must be 'linear', 'quad' or a function, got {func!r}")
        function, params_count = models[func]
        _need(xs, params_count, f"lsfit with func={func!r}")
    elif callable(func):
        function = func
        _need(xs, 1, "lsfit")
    else:
        raise ValueError(f"func must be 'linear', 'quad' or a function, got {func!r}")
    count = len(xs) if n is None else _count(n)
    optimize = _scipy("scipy.optimize", "lsfit")
    params, _ = optimize.curve_fit(function, xs, ys, p0=x0)
    params = np.asarray(params, dtype=np.float64)
    x_fit = np.linspace(xs.min(), xs.max(), count)
    y_fit = np.array(np.broadcast_to(function(x_fit, *params), x_fit.shape), dtype=np.float64)
    return x_fit, y_fit, params


def _linear(x: np.ndarray, a: float, b: float) -> np.ndarray:
    return a + b * x


def _quad(x: np.ndarray, a: float, b: float, c: float) -> np.ndarray:
    return a + b * x + c * x * x


def resample(x: ArrayLike, y: ArrayLike | None = None, n: int | None = None) -> Pair:
    """Linear interpolation onto ``n`` evenly spaced x from ``x[0]`` to ``x[-1]``.

    ``n`` defaults to the number of samples. Returns ``(x_new, y_new)``.
    """
    xs, ys = _xy(x, y)
    _need(xs, 2, "resample")
    _sorted(xs)
    count = len(xs) if n is None else _count(n)
    x_new = np.linspace(xs[0], xs[-1], count)
    return x_new, np.interp(x_new, xs, ys)


def resampleFourier(x: ArrayLike, y: ArrayLike | None = None, n: int | None = None) -> Pair:
    """Resample to ``n`` samples with the Fourier method (scipy.signal.resample; needs scipy).

    The method treats the samples as evenly spaced and the signal as periodic, so the
    new samples are evenly spaced from ``x[0]`` with step ``(x[-1]-x[0])/(N-1) * N/n``
    (N = number of samples) -- the same span the input covers including its last step.
    ``n`` defaults to N. Returns ``(x_new, y_new)``.
    """
    xs, ys = _xy(x, y)
    _need(xs, 2, "resampleFourier")
    _sorted(xs)
    count = len(xs) if n is None else _count(n)
    signal = _scipy("scipy.signal", "resampleFourier")
    step = (xs[-1] - xs[0]) / (len(xs) - 1) * len(xs) / count
    x_new = xs[0] + np.arange(count) * step
    return x_new, np.asarray(signal.resample(ys, count), dtype=np.float64)


def combine(signals: Sequence[Any], n: int | None = None) -> tuple[np.ndarray, list[np.ndarray]]:
    """Several signals on one time base over the span all of them cover (linear interpolation).

    ``signals`` is RTOC's flat ``[x1, y1, x2, y2, ...]``, a list of pairs
    ``[(x1, y1), (x2, y2)]``, or objects with ``.x`` and ``.y`` (forms may be mixed).
    Returns ``(x_common, [y1, y2, ...])`` with ``x_common`` = ``n`` evenly spaced points
    from the latest start to the earliest end; ``n`` defaults to the longest input.
    """
    if not isinstance(signals, Sequence):
        signals = list(signals)
    pairs: list[Pair] = []
    index = 0
    while index < len(signals):
        item = signals[index]
        number = len(pairs) + 1
        if _is_signal(item):
            x, y = _read_signal(item)
            index += 1
        elif _is_pair(item):
            x, y = item
            index += 1
        else:
            if index + 1 >= len(signals):
                raise ValueError(
                    f"signals: x of signal {number} has no y after it "
                    "(flat form is [x1, y1, x2, y2, ...])"
                )
            x, y = item, signals[index + 1]
            index += 2
        xs, ys = _xy(x, y)
        _need(xs, 2, f"combine: signal {number}")
        _sorted(xs, f"x of signal {number}")
        pairs.append((xs, ys))
    if not pairs:
        raise ValueError("signals is empty: give at least one signal")
    start = max(xs[0] for xs, _ in pairs)
    end = min(xs[-1] for xs, _ in pairs)
    if not start < end:
        raise ValueError(
            f"signals do not overlap: the latest start ({start:g}) is not before "
            f"the earliest end ({end:g})"
        )
    count = max(len(xs) for xs, _ in pairs) if n is None else _count(n)
    x_common = np.linspace(start, end, count)
    return x_common, [np.interp(x_common, xs, ys) for xs, ys in pairs]


def _is_pair(item: Any) -> bool:
    """``(x, y)`` rather than the x of RTOC's flat form: two items that are sequences."""
    try:
        return len(item) == 2 and np.ndim(item[0]) == 1 and np.ndim(item[1]) == 1
    except (TypeError, ValueError):
        return False


def runningMean(x: ArrayLike, y: ArrayLike | None = None, n: int = 5) -> Pair:
    """Centered moving average over ``n`` samples, full windows only.

    Returns ``(x_centers, y_means)``, ``N - n + 1`` long: each mean sits at its window's
    center (the middle sample, or halfway between the two middle ones for even ``n``).
    """
    xs, ys = _xy(x, y)
    count = _count(n)
    if count > len(xs):
        raise ValueError(f"n ({count}) is larger than the number of samples ({len(xs)})")
    means = np.convolve(ys, np.full(count, 1.0 / count), mode="valid")
    stop = len(xs) - count + 1
    low, high = (count - 1) // 2, count // 2
    centers = (xs[low : low + stop] + xs[high : high + stop]) / 2
    return centers, means


def mean(x: ArrayLike, y: ArrayLike | None = None, n: int | None = None) -> float:
    """Mean of the newest ``n`` y values (all when None or fewer are there), in y's unit."""
    _, ys = _xy(x, y)
    _need(ys, 1, "mean")
    if n is not None:
        ys = ys[-_count(n) :]
    return float(np.mean(ys))


def d(x: ArrayLike, y: ArrayLike | None = None) -> float:
    """Slope dy/dx of the newest two samples (y unit per second); 0 with fewer than 2.

    RTOC's convention: ``dy = y[-2] - y[-1]``, ``dx = x[-2] - x[-1]``; equal x give
    ``inf``/``-inf`` by the sign of dy, or 0 when dy is 0 too.
    """
    xs, ys = _xy(x, y)
    if len(ys) < 2:
        return 0.0
    dy = float(ys[-2] - ys[-1])
    dx = float(xs[-2] - xs[-1])
    if dx == 0:
        return math.copysign(math.inf, dy) if dy else 0.0
    return dy / dx


def diff(x: ArrayLike, y: ArrayLike | None = None) -> Pair:
    """Forward differences: ``(x[:-1], diff(y)/diff(x))`` (y unit per second).

    Equal neighbouring x give inf or nan there.
    """
    xs, ys = _xy(x, y)
    _need(xs, 2, "diff")
    with np.errstate(divide="ignore", invalid="ignore"):
        return xs[:-1], np.diff(ys) / np.diff(xs)


def norm(
    x: ArrayLike,
    y: ArrayLike | None = None,
    max: float = 1,
    min: float = 0,
    oldMin: float | None = None,
    oldMax: float | None = None,
) -> Pair:
    """Rescale y linearly so that ``oldMin..oldMax`` maps onto ``min..max``.

    ``oldMin``/``oldMax`` default to the smallest/largest y. Returns ``(x, y_scaled)``.
    """
    xs, ys = _xy(x, y)
    if oldMin is None or oldMax is None:
        _need(ys, 1, "norm without oldMin and oldMax")
    low = float(np.min(ys)) if oldMin is None else _number(oldMin, "oldMin")
    high = float(np.max(ys)) if oldMax is None else _number(oldMax, "oldMax")
    if low == high:
        raise ValueError(f"oldMin and oldMax are equal ({low:g}): nothing to scale from")
    new_low, new_high = _number(min, "min"), _number(max, "max")
    return xs, (ys - low) / (high - low) * (new_high - new_low) + new_low


def PID(
    x: ArrayLike,
    y: ArrayLike | None = None,
    desvalue: float | None = None,
    kp: float = 1,
    ki: float = 0,
    kd: float = 0,
    initI: float | None = None,
) -> float | tuple[float, float]:
    """One PID step as in RTOC, from the newest samples; ``desvalue`` is the set point.

    ``error = y[-1] - desvalue``; ``control = kp*error + kd*d(x, y)``. With ``initI``
    (the integral returned by the previous call, start with 0) the integral
    ``newI = initI + error`` adds ``ki*newI`` and ``(control, newI)`` comes back.
    """
    xs, ys = _xy(x, y)
    if desvalue is None:
        raise TypeError("PID needs desvalue (the set point)")
    _need(ys, 1, "PID")
    error = float(ys[-1]) - _number(desvalue, "desvalue")
    control = kp * error + kd * d(xs, ys)
    if initI is None:
        return control
    new_integral = _number(initI, "initI") + error
    return control + ki * new_integral, new_integral


# --- additions --------------------------------------------------------------------------


def window(
    x: ArrayLike,
    y: ArrayLike | None = None,
    seconds: float | None = None,
    n: int | None = None,
) -> Pair:
    """The newest ``n`` samples, or those at most ``seconds`` before the newest x.

    Give exactly one of ``seconds`` and ``n``; fewer samples than ``n`` give all of
    them. Returns ``(x, y)``.
    """
    xs, ys = _xy(x, y)
    if (seconds is None) == (n is None):
        raise ValueError("window needs exactly one of seconds and n")
    _need(xs, 1, "window")
    if n is not None:
        count = _count(n)
        return xs[-count:], ys[-count:]
    span = _number(seconds, "seconds")
    if not span >= 0:
        raise ValueError(f"seconds must be >= 0, got {seconds!r}")
    keep = xs >= xs[-1] - span
    return xs[keep], ys[keep]


def stats(
    x: ArrayLike,
    y: ArrayLike | None = None,
    seconds: float | None = None,
    n: int | None = None,
) -> dict[str, float | int]:
    """Summary of y over a :func:`window` (the whole signal when both are None).

    Returns ``{"min", "max", "mean", "std", "rms", "count"}``: std is the population
    standard deviation, rms the root of the mean square, all in y's unit.
    """
    xs, ys = _xy(x, y)
    if seconds is not None or n is not None:
        xs, ys = window(xs, ys, seconds=seconds, n=n)
    _need(ys, 1, "stats")
    return {
        "min": float(np.min(ys)),
        "max": float(np.max(ys)),
        "mean": float(np.mean(ys)),
        "std": float(np.std(ys)),
        "rms": float(np.sqrt(np.mean(np.square(ys)))),
        "count": len(ys),
    }


def derivative(x: ArrayLike, y: ArrayLike | None = None) -> Pair:
    """``(x, dy/dx)`` at every sample (numpy.gradient, second order; y unit per second)."""
    xs, ys = _xy(x, y)
    _need(xs, 2, "derivative")
    if np.any(np.diff(xs) == 0):
        raise ValueError("x has repeated values: dy/dx is undefined there")
    return xs, np.gradient(ys, xs, edge_order=2 if len(xs) >= 3 else 1)


def integral(x: ArrayLike, y: ArrayLike | None = None, initial: float = 0.0) -> Pair:
    """``(x, cumulative trapezoid integral of y over x)``, starting at ``initial`` (y unit·s)."""
    xs, ys = _xy(x, y)
    _need(xs, 1, "integral")
    areas = np.diff(xs) * (ys[1:] + ys[:-1]) / 2
    return xs, _number(initial, "initial") + np.concatenate(([0.0], np.cumsum(areas)))


def lowpass(x: ArrayLike, y: ArrayLike | None = None, tau: float | None = None) -> Pair:
    """First-order low-pass with time constant ``tau`` seconds, exact for uneven sampling.

    ``y_f[0] = y[0]``, ``y_f[i] = y_f[i-1] + alpha_i*(y[i] - y_f[i-1])`` with
    ``alpha_i = 1 - exp(-(x[i] - x[i-1])/tau)``: the response of the continuous filter to
    an input holding ``y[i]`` from ``x[i-1]`` to ``x[i]``. Returns ``(x, y_filtered)``.
    """
    xs, ys = _xy(x, y)
    if tau is None:
        raise TypeError("lowpass needs tau (the time constant in seconds)")
    tau = _number(tau, "tau")
    if not 0 < tau < math.inf:
        raise ValueError(f"tau must be > 0 seconds, got {tau!r}")
    _need(xs, 1, "lowpass")
    _sorted(xs)
    # Unrolled over a block starting at s: y_f[i] = exp(-(x_i - x_s)/tau) *
    # (y_f[s] + sum_{k=s+1..i} alpha_k*y_k*exp((x_k - x_s)/tau)). Blocks span at most
    # _BLOCK_TAUS time constants so the exponentials stay finite; within a block it is
    # all numpy, the Python loop runs once per block.
    alpha = -np.expm1(-np.diff(xs) / tau)
    filtered = np.empty_like(ys)
    filtered[0] = ys[0]
    block = np.floor((xs - xs[0]) / (tau * _BLOCK_TAUS))
    bounds = [0, *(np.flatnonzero(np.diff(block)) + 1).tolist(), len(xs)]
    for start, stop in itertools.pairwise(bounds):
        if start > 0:
            previous = filtered[start - 1]
            filtered[start] = previous + alpha[start - 1] * (ys[start] - previous)
        if stop - start > 1:
            elapsed = (xs[start + 1 : stop] - xs[start]) / tau
            terms = alpha[start : stop - 1] * ys[start + 1 : stop] * np.exp(elapsed)
            filtered[start + 1 : stop] = np.exp(-elapsed) * (filtered[start] + np.cumsum(terms))
    return xs, filtered
