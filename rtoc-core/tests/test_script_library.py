"""The script library ``rtoc.<name>``: RTOC 2.x functions and the additions, exact values."""

import math
import sys
from types import SimpleNamespace

import numpy as np
import pytest

from rtoc.automation import library as rtoc
from rtoc.signals import Signal

# --- lsfit ------------------------------------------------------------------------------


def test_lsfit_linear_finds_the_line():
    pytest.importorskip("scipy")
    x = np.linspace(0.0, 10.0, 11)

    x_fit, y_fit, params = rtoc.lsfit(x, 2.0 + 3.0 * x)

    np.testing.assert_allclose(params, [2.0, 3.0], rtol=0, atol=1e-9)
    np.testing.assert_allclose(x_fit, np.linspace(0.0, 10.0, 11))
    np.testing.assert_allclose(y_fit, 2.0 + 3.0 * x_fit, rtol=0, atol=1e-9)


def test_lsfit_quad_with_n_and_unsorted_x():
    pytest.importorskip("scipy")
    x = np.array([3.0, -1.0, 0.5, 2.0, 4.0, 1.0])
    y = 1.0 - 2.0 * x + 0.5 * x * x

    x_fit, y_fit, params = rtoc.lsfit(x, y, "quad", n=5)

    np.testing.assert_allclose(params, [1.0, -2.0, 0.5], rtol=0, atol=1e-9)
    np.testing.assert_allclose(x_fit, [-1.0, 0.25, 1.5, 2.75, 4.0])
    np.testing.assert_allclose(y_fit, 1.0 - 2.0 * x_fit + 0.5 * x_fit**2, rtol=0, atol=1e-9)


def test_lsfit_callable_with_initial_guess():
    pytest.importorskip("scipy")
    x = np.linspace(0.0, 5.0, 30)

    def exponential(x, a, k):
        return a * np.exp(k * x)

    _, y_fit, params = rtoc.lsfit(x, exponential(x, 2.0, 0.3), exponential, x0=[1.0, 0.1])

    np.testing.assert_allclose(params, [2.0, 0.3], rtol=1e-7)
    np.testing.assert_allclose(y_fit, 2.0 * np.exp(0.3 * x), rtol=1e-7)


def test_lsfit_rejects_unknown_model_and_too_few_samples():
    with pytest.raises(ValueError, match="'linear', 'quad' or a function, got 'cubic'"):
        rtoc.lsfit([0, 1, 2], [0, 1, 2], func="cubic")
    with pytest.raises(ValueError, match="lsfit with func='quad' needs at least 3 samples, got 2"):
        rtoc.lsfit([0, 1], [0, 1], func="quad")


def test_scipy_functions_say_how_to_get_scipy(monkeypatch):
    monkeypatch.setitem(sys.modules, "scipy.optimize", None)
    monkeypatch.setitem(sys.modules, "scipy.signal", None)

    with pytest.raises(ImportError, match=r"rtoc\.lsfit needs scipy: pip install scipy"):
        rtoc.lsfit([0, 1, 2], [0, 1, 2])
    with pytest.raises(ImportError, match=r"rtoc\.resampleFourier needs scipy: pip install scipy"):
        rtoc.resampleFourier([0, 1, 2], [0, 1, 2])


# --- resample, resampleFourier, combine -------------------------------------------------


def test_resample_of_a_line_is_the_line_on_an_even_grid():
    x = [0.0, 1.0, 3.0, 4.0]
    y = [1.0, 3.0, 7.0, 9.0]  # 2x + 1

    x_new, y_new = rtoc.resample(x, y, 9)

    np.testing.assert_allclose(x_new, [0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4])
    np.testing.assert_allclose(y_new, 2 * x_new + 1)
    assert len(rtoc.resample(x, y)[0]) == 4


def test_resample_rejects_unsorted_x_and_bad_n():
    with pytest.raises(ValueError, match=r"x must be in increasing order"):
        rtoc.resample([0, 2, 1], [0, 1, 2])
    with pytest.raises(ValueError, match="n must be a whole number >= 1, got 0"):
        rtoc.resample([0, 1], [0, 1], 0)
    with pytest.raises(ValueError, match=r"n must be a whole number >= 1, got 2\.5"):
        rtoc.resample([0, 1], [0, 1], 2.5)
    with pytest.raises(ValueError, match="resample needs at least 2 samples, got 1"):
        rtoc.resample([0], [0])


def test_resample_fourier_of_a_periodic_sine_is_exact():
    pytest.importorskip("scipy")
    x = 10.0 + 0.5 * np.arange(16)  # 16 samples, one period of 8 s

    x_new, y_new = rtoc.resampleFourier(x, np.sin(2 * np.pi * (x - 10.0) / 8.0), 64)

    np.testing.assert_allclose(x_new, 10.0 + 0.125 * np.arange(64))
    np.testing.assert_allclose(y_new, np.sin(2 * np.pi * (x_new - 10.0) / 8.0), atol=1e-12)
    same_x, _ = rtoc.resampleFourier(x, np.sin(x))
    np.testing.assert_allclose(same_x, x)


RAMP_A = (np.arange(0.0, 11.0), np.arange(0.0, 11.0))  # y = x on 0..10
RAMP_B = (np.arange(5.0, 15.5, 0.5), 2 * np.arange(5.0, 15.5, 0.5))  # y = 2x on 5..15


@pytest.mark.parametrize(
    "signals",
    [
        [RAMP_A[0], RAMP_A[1], RAMP_B[0], RAMP_B[1]],
        [RAMP_A, RAMP_B],
        [SimpleNamespace(x=RAMP_A[0], y=RAMP_A[1]), SimpleNamespace(x=RAMP_B[0], y=RAMP_B[1])],
        [RAMP_A, RAMP_B[0], RAMP_B[1]],
    ],
    ids=["flat", "pairs", "objects", "mixed"],
)
def test_combine_two_offset_ramps_over_their_overlap(signals):
    x, (y1, y2) = rtoc.combine(signals)

    np.testing.assert_allclose(x, np.linspace(5.0, 10.0, 21))
    np.testing.assert_allclose(y1, x)
    np.testing.assert_allclose(y2, 2 * x)


def test_combine_with_n():
    x, ys = rtoc.combine([RAMP_A, RAMP_B], n=6)

    np.testing.assert_allclose(x, [5, 6, 7, 8, 9, 10])
    np.testing.assert_allclose(ys[1], [10, 12, 14, 16, 18, 20])


def test_combine_errors():
    with pytest.raises(ValueError, match=r"signals do not overlap: the latest start \(20\)"):
        rtoc.combine([RAMP_A, ([20.0, 30.0], [1.0, 2.0])])
    with pytest.raises(ValueError, match="signals: x of signal 2 has no y after it"):
        rtoc.combine([RAMP_A[0], RAMP_A[1], RAMP_B[0]])
    with pytest.raises(ValueError, match="signals is empty"):
        rtoc.combine([])
    with pytest.raises(ValueError, match="x and y must have the same length, got 11 and 3"):
        rtoc.combine([RAMP_A[0], [1.0, 2.0, 3.0]])


# --- runningMean, mean, d, diff, norm, PID ----------------------------------------------


def test_running_mean_of_a_constant():
    x = np.arange(10.0)

    x_mean, y_mean = rtoc.runningMean(x, np.full(10, 7.0), 5)

    np.testing.assert_array_equal(x_mean, [2, 3, 4, 5, 6, 7])
    np.testing.assert_allclose(y_mean, np.full(6, 7.0))


@pytest.mark.parametrize("n", [1, 4, 5, 10])
def test_running_mean_of_a_ramp_sits_on_the_ramp(n):
    x = np.arange(10.0)

    x_mean, y_mean = rtoc.runningMean(x, 3 * x + 1, n)

    assert len(x_mean) == len(y_mean) == 10 - n + 1
    np.testing.assert_allclose(x_mean, np.arange(10 - n + 1) + (n - 1) / 2)
    np.testing.assert_allclose(y_mean, 3 * x_mean + 1)


def test_running_mean_errors():
    with pytest.raises(ValueError, match=r"n \(5\) is larger than the number of samples \(3\)"):
        rtoc.runningMean([0, 1, 2], [0, 1, 2])
    with pytest.raises(ValueError, match="n must be a whole number >= 1, got -1"):
        rtoc.runningMean([0, 1, 2], [0, 1, 2], -1)


def test_mean_of_the_newest_values():
    x, y = [0, 1, 2, 3, 4], [1.0, 2.0, 3.0, 4.0, 10.0]

    assert rtoc.mean(x, y) == 4.0
    assert rtoc.mean(x, y, 2) == 7.0
    assert rtoc.mean(x, y, 50) == 4.0
    with pytest.raises(ValueError, match="mean needs at least 1 sample, got 0"):
        rtoc.mean([], [])


def test_d_uses_the_newest_two_samples():
    assert rtoc.d([0, 1, 2, 3], [0, 2, 4, 9]) == 5.0
    assert rtoc.d([0, 1], [3, 1]) == -2.0
    assert rtoc.d([5], [1]) == 0.0
    assert rtoc.d([], []) == 0.0
    assert rtoc.d([1, 1], [5, 3]) == math.inf  # RTOC: sign of y[-2] - y[-1]
    assert rtoc.d([1, 1], [3, 5]) == -math.inf
    assert rtoc.d([1, 1], [3, 3]) == 0.0


def test_diff_is_forward_differences_at_the_left_sample():
    x, slope = rtoc.diff([0.0, 1.0, 3.0], [0.0, 2.0, 8.0])

    np.testing.assert_array_equal(x, [0, 1])
    np.testing.assert_array_equal(slope, [2, 3])
    with pytest.raises(ValueError, match="diff needs at least 2 samples, got 1"):
        rtoc.diff([0], [0])


def test_norm_maps_old_range_onto_new_range():
    x = [0, 1, 2]
    y = [2.0, 4.0, 6.0]

    np.testing.assert_allclose(rtoc.norm(x, y)[1], [0.0, 0.5, 1.0])
    np.testing.assert_allclose(rtoc.norm(x, y, 10, -10)[1], [-10.0, 0.0, 10.0])
    np.testing.assert_allclose(rtoc.norm(x, y, oldMin=0, oldMax=10)[1], [0.2, 0.4, 0.6])
    # 2..6 onto 1..3 is y/2: RTOC's (y - oldMin)/oldMax*max + min gave 1, 1.667, 2.333
    np.testing.assert_allclose(rtoc.norm(x, y, max=3, min=1)[1], [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(rtoc.norm(x, y)[0], x)
    with pytest.raises(ValueError, match=r"oldMin and oldMax are equal \(5\)"):
        rtoc.norm(x, [5.0, 5.0, 5.0])


def test_pid_without_and_with_integral():
    x, y = [0.0, 1.0, 2.0], [10.0, 12.0, 15.0]  # error -5, d = 3

    assert rtoc.PID(x, y, 20, kp=2, kd=0.5) == pytest.approx(-8.5, abs=1e-12)
    control, integral = rtoc.PID(x, y, 20, 2, 0.1, 0.5, initI=4.0)
    assert control == pytest.approx(-8.6, abs=1e-12)
    assert integral == -1.0
    assert rtoc.PID(x, y, 20) == -5.0
    with pytest.raises(TypeError, match=r"PID needs desvalue \(the set point\)"):
        rtoc.PID(x, y)


# --- window, stats, derivative, integral, lowpass ---------------------------------------


def test_window_by_n_and_by_seconds():
    x = [0.0, 1.0, 2.5, 3.0, 4.0]
    y = [10.0, 11.0, 12.0, 13.0, 14.0]

    x_n, y_n = rtoc.window(x, y, n=2)
    np.testing.assert_array_equal(x_n, [3, 4])
    np.testing.assert_array_equal(y_n, [13, 14])
    np.testing.assert_array_equal(rtoc.window(x, y, n=50)[1], y)
    x_s, y_s = rtoc.window(x, y, seconds=1.5)
    np.testing.assert_array_equal(x_s, [2.5, 3, 4])
    np.testing.assert_array_equal(y_s, [12, 13, 14])
    np.testing.assert_array_equal(rtoc.window(x, y, seconds=0)[1], [14])


def test_window_errors():
    with pytest.raises(ValueError, match="window needs exactly one of seconds and n"):
        rtoc.window([0, 1], [0, 1])
    with pytest.raises(ValueError, match="window needs exactly one of seconds and n"):
        rtoc.window([0, 1], [0, 1], seconds=1, n=1)
    with pytest.raises(ValueError, match="seconds must be >= 0, got -1"):
        rtoc.window([0, 1], [0, 1], seconds=-1)
    with pytest.raises(ValueError, match="window needs at least 1 sample, got 0"):
        rtoc.window([], [], n=1)


def test_stats_of_known_values():
    x, y = [0.0, 1.0, 2.0, 3.0], [1.0, 2.0, 3.0, 4.0]

    assert rtoc.stats(x, y) == pytest.approx(
        {"min": 1, "max": 4, "mean": 2.5, "std": math.sqrt(1.25), "rms": math.sqrt(7.5), "count": 4}
    )
    newest = {"min": 3, "max": 4, "mean": 3.5, "std": 0.5, "rms": math.sqrt(12.5), "count": 2}
    assert rtoc.stats(x, y, n=2) == pytest.approx(newest)
    assert rtoc.stats(x, y, seconds=1) == pytest.approx(newest)
    assert rtoc.stats(x, y)["count"] == 4
    with pytest.raises(ValueError, match="stats needs at least 1 sample, got 0"):
        rtoc.stats([], [])


def test_derivative_of_x_squared_on_uneven_samples():
    x = np.array([0.0, 0.3, 0.5, 1.1, 1.2, 2.0, 2.9, 3.0])

    x_out, slope = rtoc.derivative(x, x**2)

    np.testing.assert_array_equal(x_out, x)
    np.testing.assert_allclose(slope, 2 * x, rtol=0, atol=1e-9)
    np.testing.assert_allclose(rtoc.derivative([1.0, 3.0], [1.0, 9.0])[1], [4.0, 4.0])
    with pytest.raises(ValueError, match="derivative needs at least 2 samples, got 1"):
        rtoc.derivative([0], [0])
    with pytest.raises(ValueError, match="x has repeated values"):
        rtoc.derivative([0, 1, 1], [0, 1, 2])


def test_integral_of_x_squared_and_of_a_line():
    x = np.linspace(0.0, 3.0, 301)

    x_out, area = rtoc.integral(x, x**2)

    np.testing.assert_array_equal(x_out, x)
    assert area[0] == 0.0
    # trapezoid error is (x - 0) * h**2 / 6 for x**2: 5e-5 at the end
    np.testing.assert_allclose(area, x**3 / 3, rtol=0, atol=6e-5)
    uneven = np.array([0.0, 0.5, 2.0, 2.25, 4.0])
    np.testing.assert_allclose(
        rtoc.integral(uneven, 2 * uneven + 1, initial=5.0)[1], uneven**2 + uneven + 5.0
    )
    np.testing.assert_array_equal(rtoc.integral([1.0], [2.0], 3.0)[1], [3.0])


def _lowpass_loop(x, y, tau):
    filtered = [y[0]]
    for i in range(1, len(x)):
        alpha = 1 - math.exp(-(x[i] - x[i - 1]) / tau)
        filtered.append(filtered[-1] + alpha * (y[i] - filtered[-1]))
    return np.array(filtered)


def test_lowpass_step_response_on_even_sampling():
    x = 0.1 * np.arange(50)
    step = np.where(x > 0, 1.0, 0.0)

    x_out, filtered = rtoc.lowpass(x, step, 0.5)

    np.testing.assert_array_equal(x_out, x)
    np.testing.assert_allclose(filtered, 1 - np.exp(-x / 0.5), rtol=0, atol=1e-12)


def test_lowpass_step_response_on_uneven_sampling():
    rng = np.random.default_rng(7)
    x = 100.0 + np.concatenate(([0.0], np.cumsum(rng.uniform(0.001, 0.4, 200))))
    step = np.where(x > x[0], 2.0, 0.0)

    _, filtered = rtoc.lowpass(x, step, tau=1.5)

    np.testing.assert_allclose(filtered, 2 * (1 - np.exp(-(x - x[0]) / 1.5)), rtol=0, atol=1e-12)


@pytest.mark.parametrize("tau", [0.01, 0.7, 50.0])
def test_lowpass_matches_the_recurrence_over_many_time_constants(tau):
    rng = np.random.default_rng(3)
    x = np.concatenate(([0.0], np.cumsum(rng.uniform(0.0, 0.2, 5000))))  # repeats allowed
    x[10] = x[9]
    y = 20.0 + rng.normal(0.0, 3.0, len(x))

    _, filtered = rtoc.lowpass(x, y, tau)

    np.testing.assert_allclose(filtered, _lowpass_loop(x, y, tau), rtol=1e-10)


def test_lowpass_errors():
    with pytest.raises(TypeError, match=r"lowpass needs tau \(the time constant in seconds\)"):
        rtoc.lowpass([0, 1], [0, 1])
    with pytest.raises(ValueError, match=r"tau must be > 0 seconds, got 0\.0"):
        rtoc.lowpass([0, 1], [0, 1], 0)
    with pytest.raises(ValueError, match="tau must be a number, got 'fast'"):
        rtoc.lowpass([0, 1], [0, 1], "fast")
    with pytest.raises(ValueError, match="x must be in increasing order"):
        rtoc.lowpass([1, 0], [0, 1], 1)


# --- one signal argument, common validation ---------------------------------------------


def test_a_signal_object_stands_for_x_and_y():
    signal = SimpleNamespace(x=[0.0, 1.0, 2.0, 3.0], y=[1.0, 2.0, 3.0, 4.0])

    assert rtoc.mean(signal) == 2.5
    assert rtoc.mean(signal, n=2) == 3.5
    assert rtoc.d(signal) == 1.0
    assert rtoc.PID(signal, desvalue=5) == -1.0
    assert rtoc.stats(signal, seconds=1)["count"] == 2
    np.testing.assert_array_equal(rtoc.window(signal, n=1)[1], [4.0])
    np.testing.assert_allclose(rtoc.norm(signal)[1], [0, 1 / 3, 2 / 3, 1])
    np.testing.assert_allclose(rtoc.integral(signal)[1], [0, 1.5, 4, 7.5])
    np.testing.assert_allclose(rtoc.lowpass(signal, tau=1)[1][0], 1.0)
    np.testing.assert_allclose(rtoc.runningMean(signal, n=2)[1], [1.5, 2.5, 3.5])


def test_a_logger_signal_is_read_as_one_snapshot():
    signal = Signal("Dev", "Sig", capacity=8)
    for i in range(4):
        signal.append(float(i), 10.0 * i)

    assert rtoc.mean(signal) == 15.0
    np.testing.assert_array_equal(rtoc.resample(signal, n=3)[1], [0, 15, 30])


def test_a_signal_object_with_a_positional_y_is_refused():
    signal = SimpleNamespace(x=[0.0, 1.0], y=[1.0, 2.0])

    with pytest.raises(TypeError, match=r"give further arguments by keyword"):
        rtoc.window(signal, 1)


def test_common_input_errors():
    with pytest.raises(ValueError, match="x and y must have the same length, got 3 and 2"):
        rtoc.mean([0, 1, 2], [0, 1])
    with pytest.raises(
        TypeError,
        match=r"y is missing: give x and y, or one signal with \.x and \.y",
    ):
        rtoc.mean([0, 1, 2])
    with pytest.raises(ValueError, match="y must be a 1-D sequence of numbers, got 2-D"):
        rtoc.mean([0, 1], [[0, 1], [2, 3]])
    with pytest.raises(ValueError, match="x must be a sequence of numbers"):
        rtoc.mean(["a", "b"], [0, 1])


def test_arrays_come_back_as_new_float_arrays():
    x = np.array([0.0, 1.0, 2.0])

    x_out, y_out = rtoc.norm(x, [0, 1, 2])
    x_out[0] = 99.0

    assert x[0] == 0.0
    assert y_out.dtype == np.float64


def test_all_lists_the_public_names():
    assert set(rtoc.__all__) == {
        "lsfit", "resample", "resampleFourier", "combine", "runningMean", "mean", "d",
        "diff", "norm", "PID", "window", "stats", "derivative", "integral", "lowpass",
    }  # fmt: skip
    assert all(callable(getattr(rtoc, name)) for name in rtoc.__all__)
