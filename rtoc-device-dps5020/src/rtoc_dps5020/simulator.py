"""A simulated DPS power supply: a pymodbus RTU server on a pseudo-terminal.

The supply's registers (see :mod:`rtoc_dps5020.protocol`) are served by a
pymodbus Modbus RTU server, exactly as the real supply answers over its USB
serial adapter. Two pseudo-terminal pairs joined by a small relay thread play
the USB cable: pymodbus opens one end, the driver (or any Modbus tool) opens
the other, :attr:`DpsSimulator.port`, which stays the same while the server is
stopped and started again.

Behind the registers sits a small model of the supply (:class:`Supply`): the
output follows the set-points into a load resistance, changes to constant
current when the current limit is reached, and is off while ONOFF is 0. It
trips OVP/OCP/OPP when the output exceeds the protection limits
(:attr:`Supply.ovp_volts`, ``ocp_amps``, ``opp_watts``). Those start a little
above the ratings, as on the real supply, and the set-points cannot exceed the
ratings, so nothing trips by itself: lower a limit (``--ovp``, ``--ocp``,
``--opp``; on the real supply, in its menu) or call :meth:`Supply.trip`. LOCK
locks the front panel, as on the real supply: :meth:`Supply.press_output_key`
and :meth:`Supply.turn_voltage_knob` do nothing while it is set; Modbus writes
still work.

For fault tests: :meth:`DpsSimulator.stop_server` (the supply stops
answering), :meth:`DpsSimulator.start_server` (it answers again on the same
port), :meth:`DpsSimulator.corrupt_next` (answers go out with a bad CRC),
:meth:`DpsSimulator.refuse_next` (requests are answered with a Modbus exception),
:meth:`Supply.inject` (a register answers an impossible value).

Run ``python -m rtoc_dps5020.simulator`` to get a supply to talk to; it prints
the port to open, and runs until Ctrl-C or SIGTERM (what ``kill`` sends; a
background job of a non-interactive shell ignores SIGINT).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import select
import signal
import sys
import threading
import tty
from collections.abc import Sequence

from rtoc_dps5020.protocol import (
    BLOCK_COUNT,
    MAX_BACKLIGHT,
    WRITABLE,
    ModelSpec,
    Protection,
    Register,
    Status,
    decode_status,
    model_spec,
)

#: Seconds to wait for the server thread to start or stop the pymodbus server.
START_TIMEOUT = 5.0


class Supply:
    """The state and physics of one DPS supply, shared by the server thread and callers.

    Thread-safe. ``load_ohms`` is the resistance across the output
    (``math.inf``: nothing connected). ``input_voltage`` feeds the supply; the
    output reaches at most ``input_voltage / 1.1``, as on the real modules.
    """

    def __init__(
        self,
        model: int = 5020,
        *,
        load_ohms: float = 10.0,
        input_voltage: float = 60.0,
        version: int = 17,
    ) -> None:
        self.spec: ModelSpec = model_spec(model)
        self.version = version
        self.load_ohms = load_ohms
        self.input_voltage = input_voltage
        spec = self.spec
        #: Protection limits (the supply's defaults are a little above its ratings).
        self.ovp_volts = spec.max_voltage + 1.0
        self.ocp_amps = spec.max_current + 0.2
        self.opp_watts = spec.max_voltage * spec.max_current + 10.0
        self._lock = threading.RLock()
        self._set = {
            Register.U_SET: 5 * spec.voltage_scale,
            Register.I_SET: 1 * spec.current_scale,
            Register.LOCK: 0,
            Register.ONOFF: 0,
            Register.B_LED: 4,
        }
        self._protect = Protection.OK
        self._injected: dict[int, int] = {}

    # -- the registers ---------------------------------------------------------------

    def registers(self) -> list[int]:
        """All 13 registers U-SET .. VERSION as the supply would answer them now."""
        with self._lock:
            voltage, current, mode = self._output()
            spec = self.spec
            values = [0] * BLOCK_COUNT
            for register, value in self._set.items():
                values[register] = value
            values[Register.UOUT] = _register(voltage * spec.voltage_scale)
            values[Register.IOUT] = _register(current * spec.current_scale)
            values[Register.POWER] = _register(voltage * current * spec.power_scale)
            values[Register.UIN] = _register(self.input_voltage * spec.voltage_scale)
            values[Register.PROTECT] = int(self._protect)
            values[Register.CVCC] = mode
            values[Register.MODEL] = spec.code
            values[Register.VERSION] = self.version
            for register, value in self._injected.items():
                values[register] = value
            return values

    def status(self) -> Status:
        """The registers, decoded (for checks in tests)."""
        return decode_status(self.registers())

    def check(self, register: int, value: int) -> None:
        """ValueError (an ILLEGAL DATA VALUE answer) if ``value`` cannot go to ``register``."""
        if register not in WRITABLE:
            raise ValueError(f"register 0x{register:04X} is read-only")
        spec = self.spec
        highest = {
            Register.U_SET: round(spec.max_voltage * spec.voltage_scale),
            Register.I_SET: round(spec.max_current * spec.current_scale),
            Register.LOCK: 1,
            Register.ONOFF: 1,
            Register.B_LED: MAX_BACKLIGHT,
        }[Register(register)]
        if not 0 <= value <= highest:
            raise ValueError(f"{Register(register).name} takes 0..{highest}, got {value}")

    def write(self, register: int, *values: int) -> None:
        """A Modbus write of ``values`` to ``register`` and the ones after it, all or none.

        ValueError (and nothing written) if one is out of range (see :meth:`check`).
        """
        writes = list(enumerate(values, register))
        for address, value in writes:
            self.check(address, value)
        with self._lock:
            for address, value in writes:
                if address == Register.ONOFF and value:
                    self._protect = Protection.OK  # switching on again resets a tripped protection
                self._set[Register(address)] = value

    def inject(self, register: int, value: int) -> None:
        """Answer ``value`` for ``register`` from now on, whatever the model says (faults)."""
        with self._lock:
            self._injected[Register(register)] = value

    def clear_injected(self) -> None:
        """Answer the model's own values again."""
        with self._lock:
            self._injected.clear()

    # -- the front panel ---------------------------------------------------------------

    def press_output_key(self) -> bool:
        """Toggle the output from the front panel; False (nothing happens) while locked."""
        with self._lock:
            if self._set[Register.LOCK]:
                return False
            self.write(Register.ONOFF, 0 if self._set[Register.ONOFF] else 1)
            return True

    def turn_voltage_knob(self, volts: float) -> bool:
        """Set the voltage from the front panel; False (nothing happens) while locked."""
        with self._lock:
            if self._set[Register.LOCK]:
                return False
            self.write(Register.U_SET, round(volts * self.spec.voltage_scale))
            return True

    def trip(self, protection: Protection) -> None:
        """Trip a protection as the supply does: output off, PROTECT set."""
        with self._lock:
            self._protect = Protection(protection)
            self._set[Register.ONOFF] = 0

    # -- physics -------------------------------------------------------------------------

    def _output(self) -> tuple[float, float, int]:
        """(volts, amps, CV/CC) at the output now; trips a protection when exceeded."""
        spec = self.spec
        if not self._set[Register.ONOFF] or self._protect:
            return 0.0, 0.0, 0
        target = min(self._set[Register.U_SET] / spec.voltage_scale, self.input_voltage / 1.1)
        limit = self._set[Register.I_SET] / spec.current_scale
        load = self.load_ohms
        current = 0.0 if math.isinf(load) else target / load
        if current > limit:  # the current limit holds: constant current
            voltage, current, mode = limit * load, limit, 1
        else:
            voltage, mode = target, 0
        for exceeded, protection in (
            (voltage > self.ovp_volts, Protection.OVP),
            (current > self.ocp_amps, Protection.OCP),
            (voltage * current > self.opp_watts, Protection.OPP),
        ):
            if exceeded:
                self.trip(protection)
                return 0.0, 0.0, 0
        return voltage, current, mode


def _register(value: float) -> int:
    return max(0, min(0xFFFF, round(value)))


class PtyCable:
    """Two pseudo-terminals joined back to back: what one end writes, the other reads.

    ``server_path`` is for the simulated supply, ``device_path`` for the
    driver. Bytes written while nobody has the other end open are dropped, as
    on a serial line.
    """

    def __init__(self) -> None:
        self._masters: list[int] = []
        self._slaves: list[int] = []
        paths = []
        for _ in range(2):
            master, slave = os.openpty()
            tty.setraw(slave)  # binary: no echo, no newline translation
            os.set_blocking(master, False)
            self._masters.append(master)
            self._slaves.append(slave)  # kept open, so the master never reads EIO
            paths.append(os.ttyname(slave))
        self.server_path, self.device_path = paths
        self._wake_read, self._wake_write = os.pipe()
        self._thread = threading.Thread(target=self._relay, name="dps-sim-cable", daemon=True)
        self._thread.start()

    def _relay(self) -> None:
        server, device = self._masters
        other = {server: device, device: server}
        while True:
            ready, _, _ = select.select([server, device, self._wake_read], [], [])
            if self._wake_read in ready:
                return
            for source in ready:  # readable, and only this thread reads: never blocks
                _forward(other[source], os.read(source, 4096))

    def close(self) -> None:
        if self._thread.is_alive():
            os.write(self._wake_write, b"x")
            self._thread.join(START_TIMEOUT)
        for fd in (*self._masters, *self._slaves, self._wake_read, self._wake_write):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._masters, self._slaves = [], []


def _forward(fd: int, data: bytes) -> None:
    """Write all of ``data`` unless the other end's buffer is full (nobody reads: lost)."""
    while data:
        try:
            data = data[os.write(fd, data) :]
        except BlockingIOError:
            return


class DpsSimulator:
    """A DPS supply answering Modbus RTU on :attr:`port` (use as a context manager).

    ``address`` is the Modbus slave address it answers to; requests to other
    addresses get no answer, as on an RS-485 bus.
    """

    def __init__(
        self,
        model: int = 5020,
        *,
        address: int = 1,
        baudrate: int = 9600,
        load_ohms: float = 10.0,
        input_voltage: float = 60.0,
    ) -> None:
        self.supply = Supply(model, load_ohms=load_ohms, input_voltage=input_voltage)
        self.address = address
        self.baudrate = baudrate
        self._cable: PtyCable | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server = None
        self._faults = threading.Lock()
        self._corrupt = 0
        self._refuse = 0

    @property
    def port(self) -> str:
        """The serial port the driver opens (a pseudo-terminal path)."""
        if self._cable is None:
            raise RuntimeError("the simulator is not started")
        return self._cable.device_path

    @property
    def serving(self) -> bool:
        return self._server is not None

    def __enter__(self) -> DpsSimulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def start(self) -> DpsSimulator:
        """Create the port, start the server thread and the Modbus server."""
        if self._cable is None:
            self._cable = PtyCable()
            self._loop = asyncio.new_event_loop()
            self._thread = threading.Thread(
                target=self._loop.run_forever, name="dps-sim-server", daemon=True
            )
            self._thread.start()
        self.start_server()
        return self

    def start_server(self) -> None:
        """(Re)start answering on the same port."""
        if self._server is None:
            self._server = self._run(self._serve())

    def stop_server(self) -> None:
        """Stop answering (the port stays; requests go unanswered)."""
        server, self._server = self._server, None
        if server is not None:
            self._run(server.shutdown())

    def corrupt_next(self, count: int = 1) -> None:
        """Send the next ``count`` answers with a wrong CRC."""
        with self._faults:
            self._corrupt += count

    def refuse_next(self, count: int = 1) -> None:
        """Answer the next ``count`` requests with Modbus exception 6 (slave device busy)."""
        with self._faults:
            self._refuse += count

    def close(self) -> None:
        """Stop the server, the server thread and the port."""
        if self._loop is None:
            return
        self.stop_server()
        loop, thread = self._loop, self._thread
        loop.call_soon_threadsafe(loop.stop)
        assert thread is not None
        thread.join(START_TIMEOUT)
        loop.close()
        self._loop = self._thread = None
        if self._cable is not None:
            self._cable.close()
            self._cable = None

    # -- inside the server thread -------------------------------------------------------

    def _run(self, coroutine):  # type: ignore[no-untyped-def]
        assert self._loop is not None, "the simulator is not started"
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(START_TIMEOUT)

    async def _serve(self):  # type: ignore[no-untyped-def]
        from pymodbus import FramerType
        from pymodbus.server import ModbusSerialServer
        from pymodbus.simulator import DataType, SimData, SimDevice

        def block(address: int, count: int, readonly: bool = False) -> SimData:
            return SimData(
                address, values=[0] * count, datatype=DataType.REGISTERS, readonly=readonly
            )

        device = SimDevice(
            id=self.address,
            simdata=[
                block(Register.U_SET, 2),
                block(Register.UOUT, 4, readonly=True),
                block(Register.LOCK, 1),
                block(Register.PROTECT, 2, readonly=True),
                block(Register.ONOFF, 2),
                block(Register.MODEL, 2, readonly=True),
            ],
            action=self._access,
        )
        assert self._cable is not None
        server = ModbusSerialServer(
            device,
            framer=FramerType.RTU,
            port=self._cable.server_path,
            baudrate=self.baudrate,
            trace_packet=self._trace_packet,
            trace_pdu=self._trace_pdu,
        )
        await server.serve_forever(background=True)
        return server

    async def _access(
        self,
        function_code: int,
        start_address: int,
        address: int,
        count: int,
        registers: list[int],
        values: Sequence[int] | None,
    ):  # type: ignore[no-untyped-def]
        """pymodbus calls this before every read or write of the registers."""
        from pymodbus.constants import ExcCodes

        with self._faults:
            if self._refuse > 0:
                self._refuse -= 1
                return ExcCodes.DEVICE_BUSY
        if values is not None:
            try:
                self.supply.write(address, *(int(value) for value in values))
            except ValueError:
                return ExcCodes.ILLEGAL_VALUE
        offset = Register.U_SET - start_address
        registers[offset : offset + BLOCK_COUNT] = self.supply.registers()
        return None

    def _trace_pdu(self, sending: bool, pdu):  # type: ignore[no-untyped-def]
        if not sending and pdu.dev_id != self.address:
            return None  # for another device on the bus: stay silent
        return pdu

    def _trace_packet(self, sending: bool, data: bytes) -> bytes:
        if not sending:
            return data
        with self._faults:
            if self._corrupt <= 0:
                return data
            self._corrupt -= 1
        return data[:-1] + bytes([data[-1] ^ 0xFF])


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m rtoc_dps5020.simulator``: serve a simulated supply until Ctrl-C or SIGTERM."""
    args = _parser().parse_args(argv)
    simulator = DpsSimulator(
        args.model, address=args.address, load_ohms=args.load, input_voltage=args.input_voltage
    )
    supply = simulator.supply
    supply.ovp_volts = args.ovp or supply.ovp_volts
    supply.ocp_amps = args.ocp or supply.ocp_amps
    supply.opp_watts = args.opp or supply.opp_watts
    ends = {signal.SIGTERM}
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:  # ignored in a background job
        ends.add(signal.SIGINT)
    # blocked before the simulator starts its threads, which inherit the mask: sigwait()
    # below then takes them, and no thread is killed by SIGTERM's default action
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, ends)
    try:
        with simulator:
            _serve(simulator, args.link, ends)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
    return 0


def _serve(simulator: DpsSimulator, link: str | None, ends: set[signal.Signals]) -> None:
    """Print where to connect, wait for one of the signals ``ends``, remove ``link``."""
    port = simulator.port
    try:
        if link:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(link)
            os.symlink(port, link)
            port = link
        print(
            f"{simulator.supply.spec.name} simulator: connect to {port} "
            f"({simulator.baudrate} baud 8N1, Modbus address {simulator.address}); Ctrl-C ends",
            flush=True,
        )
        signal.sigwait(ends)
    finally:
        if link:
            with contextlib.suppress(OSError):
                os.unlink(link)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m rtoc_dps5020.simulator",
        description=__doc__.splitlines()[0],
        epilog="Ends on Ctrl-C (SIGINT) or SIGTERM, and then removes the --link.",
    )
    parser.add_argument(
        "--model", type=int, default=5020, help="model number it reports (default: 5020)"
    )
    parser.add_argument(
        "--address", type=int, default=1, help="Modbus address it answers to (default: 1)"
    )
    parser.add_argument(
        "--load",
        type=_positive,
        default=10.0,
        metavar="OHMS",
        help="load resistance across the output; inf: nothing connected (default: 10)",
    )
    parser.add_argument(
        "--input-voltage",
        type=_positive,
        default=60.0,
        metavar="VOLTS",
        help="the supply's input; the output reaches at most input / 1.1 (default: 60)",
    )
    for option, metavar, what, default in (
        ("--ovp", "VOLTS", "over-voltage", "the voltage rating + 1 V"),
        ("--ocp", "AMPS", "over-current", "the current rating + 0.2 A"),
        ("--opp", "WATTS", "over-power", "the power rating + 10 W"),
    ):
        parser.add_argument(
            option,
            type=_positive,
            metavar=metavar,
            help=f"{what} protection limit: the output trips off above it "
            f"(default: {default}, which the set-points cannot reach)",
        )
    parser.add_argument(
        "--link",
        metavar="PATH",
        help="also make this symlink to the port, e.g. /tmp/ttyDPS (default: none)",
    )
    return parser


def _positive(text: str) -> float:
    """An argparse type: a number > 0 (``inf`` included; a load of 0 would divide by zero)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not value > 0:
        raise argparse.ArgumentTypeError(f"takes a number > 0, got {text!r}")
    return value


if __name__ == "__main__":
    sys.exit(main())
