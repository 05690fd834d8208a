"""The simulator on its own, read with plain pyserial: pacing, faults, recordings, the command."""

import os
import signal
import subprocess
import sys
import time

import pytest
import serial

from rtoc.testing.waiting import wait_until
from rtoc_vc820.protocol import BYTE_TIME, FRAME_LENGTH, FrameAssembler, decode, encode
from rtoc_vc820.simulator import Simulator, load_frames, turning_knob


def open_port(path):
    return serial.Serial(path, 2400, timeout=0)


def read_for(port, seconds):
    """Every byte that arrives in ``seconds``, with the time each read returned it."""
    received = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        data = port.read(max(1, port.in_waiting))
        if data:
            received.append((time.monotonic(), data))
        else:
            time.sleep(0.001)
    return received


def test_frames_come_at_2400_baud_about_twice_a_second():
    with Simulator() as meter, open_port(meter.path) as port:
        received = read_for(port, 1.3)
    stream = b"".join(data for _, data in received)
    frames = FrameAssembler().feed(stream)
    assert 2 <= len(frames) <= 3
    assert all(decode(frame).describe() == "0.000 V DC AUTO" for frame in frames)
    # the bytes of one frame trickle in over ~58 ms, as 14 bytes at 2400 baud take
    starts = [t for t, data in received if data[0] >> 4 == 1]
    ends = [t for t, data in received if data[-1] >> 4 == FRAME_LENGTH]
    spans = [min(t for t in ends if t >= start) - start for start in starts if start < ends[-1]]
    # (the longest: a busy test machine may let a reader sleep through one whole frame)
    assert max(spans) >= 0.6 * (FRAME_LENGTH - 1) * BYTE_TIME
    assert 0.35 < starts[1] - starts[0] < 0.65  # a frame every 0.5 s


def test_faults_are_the_bytes_on_the_line():
    frame = encode("1.234", "V", dc=True)
    with Simulator(speed=20) as meter, open_port(meter.path) as port:
        meter.show("1.234", "V", dc=True)
        wait_until(lambda: meter.frames_sent >= 1, 2, "a frame")
        time.sleep(0.06)
        port.reset_input_buffer()
        sent = meter.frames_sent
        meter.send_raw(b"\x00\xff")
        meter.tear(keep=5)
        wait_until(lambda: meter.frames_sent >= sent + 3, 2, "three more frames")
        time.sleep(0.02)
        stream = port.read(port.in_waiting)
    start = stream.index(b"\x00\xff")
    assert stream[start:].startswith(b"\x00\xff" + frame[:5] + frame)


def test_pause_is_silence_and_resume_sends_again():
    with Simulator(speed=20) as meter, open_port(meter.path) as port:
        wait_until(lambda: meter.frames_sent >= 1, 2, "a frame")
        meter.pause()
        time.sleep(0.05)  # the frame on the line, if any, ends
        port.reset_input_buffer()
        assert read_for(port, 0.2) == []
        meter.resume()
        wait_until(lambda: FrameAssembler().feed(port.read(64)), 2, "frames again")


def test_unplug_makes_the_port_disappear():
    with Simulator(speed=20) as meter:
        path = meter.path
        port = open_port(path)
        meter.unplug()
        with pytest.raises(serial.SerialException):
            port.read(1)
        port.close()
        assert not os.path.exists(path)
        meter.plug()
        with open_port(meter.path) as port:
            wait_until(lambda: FrameAssembler().feed(port.read(64)), 2, "frames on the new pty")


def test_recorded_frames_play_in_order(tmp_path):
    recording = tmp_path / "meter.txt"
    first, second = encode("1.000", "V", dc=True), encode("0L", "MΩ")
    recording.write_text(f"# two frames\n{first.hex(' ')}\n\n{second.hex()}  # overload\n")
    frames = load_frames(recording)
    assert frames == [first, second]
    with Simulator(frames, speed=20) as meter, open_port(meter.path) as port:
        wait_until(lambda: meter.frames_sent >= 5, 2, "frames")
        time.sleep(0.02)
        got = FrameAssembler().feed(port.read(port.in_waiting))
    texts = [decode(frame).text for frame in got]
    assert texts[:4] in (["1.000", "0L", "1.000", "0L"], ["0L", "1.000", "0L", "1.000"])
    recording.write_text("17 28 35\n")
    with pytest.raises(ValueError, match=r"meter\.txt:1: not a 14-byte frame"):
        load_frames(recording)


def test_the_knob_turns_through_every_function():
    knob = turning_knob(frames_each=1)
    signals = [decode(next(knob)).signal for _ in range(11)]
    assert signals == [
        "Voltage DC", "Voltage AC", "Current DC", "Resistance", "Resistance", "Continuity",
        "Diode", "Capacitance", "Frequency", "Duty cycle", "Temperature",
    ]  # fmt: skip


def test_bad_options_are_refused():
    with pytest.raises(ValueError, match="speed must be > 0"):
        Simulator(speed=0)
    with pytest.raises(ValueError, match=r"keep 0\.\.13"):
        Simulator().tear(keep=14)


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_the_command_prints_where_to_connect_and_stops_on_ctrl_c(stop):
    process = subprocess.Popen(
        [sys.executable, "-m", "rtoc_vc820.simulator", "--cycle", "--speed", "20"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        assert line.startswith("VC820 simulator on /dev/")
        path = line.split()[3]
        assert "rtoc run --device VC820 --set VC820.port=" in process.stdout.readline()
        with open_port(path) as port:
            frames = wait_until(lambda: FrameAssembler().feed(port.read(64)), 3, "frames")
        assert decode(frames[0]).signal == "Voltage DC"
        process.send_signal(stop)
        assert process.wait(5) == 0
        assert not os.path.exists(path)  # the pty went with it
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(5)
        process.stdout.close()
