"""A Heliotherm heat pump on 127.0.0.1: a pymodbus Modbus TCP server with a small model.

It holds the registers of :mod:`rtoc_heliotherm.protocol` (input registers
10..75, holding registers 100..152, unit id 1) and answers real Modbus TCP
frames. Behind them runs :class:`HeatPumpModel`: the outdoor temperature
follows a daily swing, the compressor cycles between heating the house
(return temperature against a heating curve) and the hot-water tank, and the
energy counters and operating hours add up. Writes to the holding registers
are checked as the pump does: a set-point outside the pump's limits is
clamped to them, a value that cannot mean anything (operating mode 12) or a
read-only register is answered with a Modbus exception.

Run it with ``python -m rtoc_heliotherm.simulator`` (``--help`` for options);
from Python::

    with HeliothermSimulator(time_scale=60) as pump:   # one simulated minute per second
        print(pump.host, pump.port)

``stop()`` closes the port and every connection, ``start()`` opens it again
on the same port, so tests can take the pump away and bring it back. The
fault switches (``read_exception``, ``refuse_writes``, ``corrupt_answers``,
:meth:`HeliothermSimulator.force_input`) make it answer wrongly on purpose.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import math
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field

from pymodbus.constants import ExcCodes
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import SimData, SimDevice
from pymodbus.simulator.simutils import DataType

from rtoc_heliotherm.protocol import (
    HOT_WATER_RANGE,
    HR_EXTERNAL_DEMAND,
    HR_HOT_WATER_MINIMUM,
    HR_HOT_WATER_SETPOINT,
    HR_MODE,
    HR_RESET_ERROR,
    HR_ROOM_SETPOINT,
    INPUT_COUNT,
    INPUT_START,
    MODES,
    ROOM_SETPOINT_RANGE,
    SENSOR_MISSING,
    encode_temperature,
    from_uint32,
    to_register,
    to_signed,
)

#: Holding registers the simulated pump has: 100..152 (the RCGX register list).
HOLDING_FIRST = 100
HOLDING_LAST = 152
#: "Vorgabe Verdichterdrehzahl": the register list says it must not be written.
HR_COMPRESSOR_SPEED_PRESET = 126

#: Heat capacities of the water the model heats, kJ/K (about 200 l and 300 l).
HEATING_CAPACITY = 836.0
HOT_WATER_CAPACITY = 1254.0
#: Above this outdoor temperature the house is not heated ("Heizgrenze"), °C.
HEATING_LIMIT = 15.0
#: Heating circuit flow while its pump runs, l/min.
CIRCUIT_FLOW = 20.0
#: Largest model step, simulated seconds (bigger advances are cut into these).
MAX_STEP = 2.0


def _clamp(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)


@dataclass
class HeatPumpModel:
    """A brine heat pump heating a house and a hot-water tank; ``step`` moves it on.

    Plain Python and deterministic: the same steps give the same state. Times
    are simulated seconds; temperatures °C; energies kWh.
    """

    time: float = 0.0
    mode: int = 1
    room_setpoint: float = 21.0
    hot_water_setpoint: float = 50.0
    hot_water_minimum: float = 45.0
    external_demand: int = 0
    error: int = 0
    outdoor_mean: float = 4.0
    outdoor_swing: float = 5.0
    outdoor_delayed: float = 4.0
    hot_water: float = 47.0
    return_temperature: float = 27.5
    room: float = 20.8
    demand: int = 0  # 0 none, 10 cooling, 20 heating, 30 hot water
    speed: float = 0.0  # % of the compressor's maximum
    electrical_power: float = 15.0  # W
    thermal_power: float = 0.0  # kW
    cop: float = 0.0
    # counters, started well into a pump's life; 98765 kWh needs both words
    thermal_heating: float = 98765.0
    electrical_heating: float = 23456.0
    thermal_hot_water: float = 34567.0
    electrical_hot_water: float = 9876.0
    hours_heating: float = 5678.0
    hours_hot_water: float = 1234.0
    #: Holding registers without a meaning in the model, kept as written (raw).
    other_holding: dict[int, int] = field(default_factory=dict)
    #: Input registers forced to a raw value (fault injection), address -> raw.
    forced: dict[int, int] = field(default_factory=dict)
    #: Compressor starts, for tests and curious users.
    starts: int = 0

    # -- control and physics ------------------------------------------------------

    @property
    def compressor(self) -> bool:
        return self.demand != 0

    def return_target(self) -> float:
        """The heating curve: the return temperature the pump heats to, °C."""
        target = self.room_setpoint + max(0.0, HEATING_LIMIT - self.outdoor) * 0.6
        target += {5: -3.0, 6: -5.0, 7: 1.0}.get(self.mode, 0.0)
        return _clamp(target, 18.0, 50.0)

    def _heating_wanted(self) -> bool:
        if self.external_demand or self.mode == 4:
            return True
        return self.mode in (1, 5, 6, 7) and self.outdoor_delayed < HEATING_LIMIT

    def _hot_water_wanted(self) -> bool:
        return self.mode not in (0, 2, 6)

    def _decide(self) -> None:
        """Choose what the compressor runs for, with hysteresis (so it cycles)."""
        before = self.demand
        target = self.return_target()
        if self.error:
            self.demand = 0
        elif self.demand == 30:
            if self.hot_water >= self.hot_water_setpoint or not self._hot_water_wanted():
                self.demand = 0
        elif self._hot_water_wanted() and self.hot_water < self.hot_water_minimum:
            self.demand = 30
        elif self.mode == 2:
            if self.room > self.room_setpoint + 0.5:
                self.demand = 10
            elif self.demand != 10 or self.room <= self.room_setpoint:
                self.demand = 0
        elif self._heating_wanted():
            if self.demand == 10:
                self.demand = 0
            if self.demand == 20 and self.return_temperature >= target + 1.0:
                self.demand = 0
            elif self.demand == 0 and self.return_temperature < target - 1.0:
                self.demand = 20
        else:
            self.demand = 0
        if before == 0 and self.demand != 0:
            self.starts += 1

    def _step(self, dt: float) -> None:
        self.time += dt
        self.outdoor_delayed += (self.outdoor - self.outdoor_delayed) * min(1.0, dt / 10800.0)
        self._decide()
        target = self.return_target()
        if self.demand == 20:
            self.speed = _clamp(40.0 + (target - self.return_temperature) * 15.0, 40.0, 100.0)
            sink = self.return_temperature + 5.0
        elif self.demand == 30:
            self.speed, sink = 80.0, self.hot_water + 5.0
        elif self.demand == 10:
            self.speed, sink = 50.0, self.return_temperature
        else:
            self.speed, sink = 0.0, self.return_temperature
        if self.compressor:
            self.electrical_power = 2500.0 * self.speed / 100.0
            lift = max(sink - self.source_inlet, 5.0)
            self.cop = _clamp(8.0 - 0.1 * lift, 1.5, 7.0) if self.demand != 10 else 4.0
            self.thermal_power = self.cop * self.electrical_power / 1000.0
        else:
            self.electrical_power, self.cop, self.thermal_power = 15.0, 0.0, 0.0
        heat = self.thermal_power * dt  # kJ
        if self.demand == 20:
            self.return_temperature += heat / HEATING_CAPACITY
        elif self.demand == 10:
            self.return_temperature = max(15.0, self.return_temperature - heat / HEATING_CAPACITY)
        if self.demand == 30:
            self.hot_water += heat / HOT_WATER_CAPACITY
        # the house takes heat from the circuit; the tank loses heat and water is drawn
        self.return_temperature -= (self.return_temperature - self.room) * dt / 1800.0
        self.hot_water -= 0.0004 * dt
        warmth = self.outdoor + (self.return_temperature - self.outdoor) * 0.7
        self.room += (warmth - self.room) * dt / 20000.0
        kwh_thermal = self.thermal_power * dt / 3600.0
        kwh_electrical = self.electrical_power * dt / 3.6e6
        if self.demand == 30:
            self.thermal_hot_water += kwh_thermal
            self.electrical_hot_water += kwh_electrical
            self.hours_hot_water += dt / 3600.0
        else:
            self.thermal_heating += kwh_thermal
            self.electrical_heating += kwh_electrical
            if self.demand == 20:
                self.hours_heating += dt / 3600.0

    def step(self, seconds: float) -> None:
        """Move the model ``seconds`` simulated seconds on."""
        while seconds > 0:
            dt = min(seconds, MAX_STEP)
            self._step(dt)
            seconds -= dt

    # -- derived temperatures -----------------------------------------------------

    @property
    def outdoor(self) -> float:
        """A daily swing around ``outdoor_mean``, rising from it at time 0."""
        return self.outdoor_mean + self.outdoor_swing * math.sin(2 * math.pi * self.time / 86400)

    @property
    def source_inlet(self) -> float:
        """Brine coming from the ground: a little of the season shows through."""
        return 6.0 + 0.1 * self.outdoor

    @property
    def source_outlet(self) -> float:
        return self.source_inlet - (3.0 * self.speed / 100.0 if self.compressor else 0.2)

    @property
    def flow(self) -> float:
        if self.demand == 20:
            return self.return_temperature + self.thermal_power * 60.0 / (CIRCUIT_FLOW * 4.18)
        if self.demand == 30:
            return self.hot_water + 4.0
        if self.demand == 10:
            return self.return_temperature - 3.0
        return self.return_temperature + 0.3

    # -- registers --------------------------------------------------------------------

    def input_registers(self) -> dict[int, int]:
        """Input registers 10..75 as the pump sends them (raw 16-bit values)."""
        on = self.compressor
        heating_pump = not self.error and (self.mode in (1, 4, 5, 6, 7) or self.demand == 20)
        evaporation = self.source_outlet - 5.0 if on else self.source_inlet
        condensation = self.flow + 3.0 if on else self.return_temperature
        regs = dict.fromkeys(range(INPUT_START, INPUT_START + INPUT_COUNT), 0)
        temperatures = {
            10: self.outdoor,
            11: self.hot_water,
            12: self.flow,
            13: self.return_temperature,
            14: self.return_temperature + 0.5,
            15: self.source_inlet,
            16: self.source_outlet,
            17: self.source_outlet + (3.0 if on else 0.0),
            18: evaporation,
            19: condensation,
            20: condensation + (35.0 if on else 2.0),
            31: self.hot_water - 3.0,
            33: self.outdoor_delayed,
            34: self.return_target(),
            50: self.room,
        }
        for address, celsius in temperatures.items():
            regs[address] = encode_temperature(celsius)
        for address in (35, 36, 46, 47, 48, 49):  # no mixing circuits fitted
            regs[address] = to_register(SENSOR_MISSING)
        regs[21] = round(10 * (4.0 + 0.12 * (evaporation + 10.0) if on else 9.0))
        regs[22] = round(10 * (10.0 + 0.3 * (condensation - 25.0) if on else 9.0))
        regs[23] = int(heating_pump)
        regs[24] = int(self.demand == 20)
        regs[25] = int(on)
        regs[26] = self.error
        regs[27] = 0
        regs[28] = round(10 * CIRCUIT_FLOW) if heating_pump else 0
        regs[29] = round(10 * self.speed)
        regs[30] = round(10 * self.cop)
        regs[32] = 1
        regs[37] = int(on)
        regs[38] = int(self.demand == 30)
        regs[40] = 350 if on else 0
        regs[41] = self.demand
        counters = {
            42: self.hours_hot_water,
            44: self.hours_heating,
            60: self.thermal_heating,
            62: self.electrical_heating,
            64: self.thermal_hot_water,
            66: self.electrical_hot_water,
            68: self.electrical_heating + self.electrical_hot_water,
            70: self.electrical_power,
            72: self.thermal_heating + self.thermal_hot_water,
            74: 10 * self.thermal_power,
        }
        for address, value in counters.items():
            regs[address], regs[address + 1] = from_uint32(int(value))
        regs.update(self.forced)
        return regs

    def holding_registers(self) -> dict[int, int]:
        """Holding registers 100..152 (raw 16-bit values)."""
        regs = dict.fromkeys(range(HOLDING_FIRST, HOLDING_LAST + 1), 0)
        regs.update(self.other_holding)
        regs[HR_MODE] = self.mode
        regs[HR_ROOM_SETPOINT] = encode_temperature(self.room_setpoint)
        regs[HR_HOT_WATER_SETPOINT] = encode_temperature(self.hot_water_setpoint)
        regs[HR_HOT_WATER_MINIMUM] = encode_temperature(self.hot_water_minimum)
        regs[HR_EXTERNAL_DEMAND] = self.external_demand
        regs[HR_RESET_ERROR] = 0
        return regs

    def write(self, address: int, values: Sequence[int]) -> ExcCodes | None:
        """Write holding registers as the pump would: all, or none and an exception code.

        A set-point the pump does not allow is clamped to its limits; a value
        that means nothing is refused with ILLEGAL_VALUE, a register that may
        not be written with ILLEGAL_ADDRESS.
        """
        changes = []
        for offset, raw in enumerate(values):
            change = self._checked(address + offset, raw)
            if isinstance(change, ExcCodes):
                return change
            changes.append(change)
        for apply in changes:
            apply()
        return None

    def _checked(self, address: int, raw: int):  # -> Callable[[], None] | ExcCodes
        signed = to_signed(raw)
        if address == HR_MODE:
            if raw not in MODES:
                return ExcCodes.ILLEGAL_VALUE
            return lambda: setattr(self, "mode", raw)
        if address == HR_ROOM_SETPOINT:
            return self._setpoint("room_setpoint", signed, ROOM_SETPOINT_RANGE, 500)
        if address == HR_HOT_WATER_SETPOINT:
            return self._setpoint("hot_water_setpoint", signed, HOT_WATER_RANGE, 900)
        if address == HR_HOT_WATER_MINIMUM:
            return self._setpoint("hot_water_minimum", signed, HOT_WATER_RANGE, 900)
        if address == HR_EXTERNAL_DEMAND:
            if raw not in (0, 1):
                return ExcCodes.ILLEGAL_VALUE
            return lambda: setattr(self, "external_demand", raw)
        if address == HR_RESET_ERROR:
            if raw not in (0, 1):
                return ExcCodes.ILLEGAL_VALUE
            return (lambda: setattr(self, "error", 0)) if raw else (lambda: None)
        if address == HR_COMPRESSOR_SPEED_PRESET or not HOLDING_FIRST <= address <= HOLDING_LAST:
            return ExcCodes.ILLEGAL_ADDRESS
        return lambda: self.other_holding.__setitem__(address, raw)

    def _setpoint(self, attribute: str, tenths: int, limits: tuple[float, float], most: int):
        """Clamp a plausible set-point to the pump's limits; refuse nonsense."""
        if not 0 <= tenths <= most:
            return ExcCodes.ILLEGAL_VALUE
        celsius = _clamp(tenths / 10, *limits)
        return lambda: setattr(self, attribute, celsius)


class HeliothermSimulator:
    """The model behind a pymodbus Modbus TCP server, in a thread of its own.

    ``port=0`` picks a free port on the first start; later starts reuse it.
    ``time_scale`` simulated seconds pass per real second (0: only
    :meth:`advance` moves the model, for tests).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        unit_id: int = 1,
        time_scale: float = 1.0,
        tick: float = 0.5,
        model: HeatPumpModel | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.unit_id = unit_id
        self.time_scale = time_scale
        self.tick = tick
        self.model = model or HeatPumpModel()
        #: Answer every read with this Modbus exception (e.g. ExcCodes.DEVICE_FAILURE).
        self.read_exception: ExcCodes | None = None
        #: Answer every write with this Modbus exception.
        self.refuse_writes: ExcCodes | None = None
        #: Send this many of the next register answers torn (byte count mismatch).
        self.corrupt_answers = 0
        #: Requests answered (reads and writes), for tests.
        self.requests = 0
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None

    # -- lifecycle ------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self) -> HeliothermSimulator:
        """Listen (again, on the same port once one was picked); returns self."""
        if self._thread is not None:
            return self
        started: Future[int] = Future()
        thread = threading.Thread(
            target=lambda: asyncio.run(self._serve(started)),
            name=f"heliotherm-simulator-{self.port}",
            daemon=True,
        )
        thread.start()
        try:
            self.port = started.result(timeout=10)
        except BaseException:
            thread.join(5)
            raise
        self._thread = thread
        return self

    def stop(self) -> None:
        """Close the port and every connection; ``start()`` opens them again."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        if self._loop is not None and self._stopping is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)
        thread.join(10)

    def __enter__(self) -> HeliothermSimulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    async def _serve(self, started: Future[int]) -> None:
        try:
            server = ModbusTcpServer(
                self._device(),
                address=(self.host, self.port),
                trace_packet=self._trace_packet,
            )
            await server.serve_forever(background=True)
            listener = server.transport
            port = listener.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        except BaseException as error:
            started.set_exception(error)
            return
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        ticker = asyncio.create_task(self._tick())
        started.set_result(port)
        try:
            await self._stopping.wait()
        finally:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
            await server.shutdown()  # closes the listener and every connection
            await asyncio.sleep(0.05)  # let the closed transports release their sockets

    def _device(self) -> SimDevice:
        bits = [SimData(0, datatype=DataType.BITS, values=False)]
        return SimDevice(
            self.unit_id,
            simdata=(
                bits,
                list(bits),
                [
                    SimData(
                        HOLDING_FIRST,
                        count=HOLDING_LAST - HOLDING_FIRST + 1,
                        datatype=DataType.REGISTERS,
                    )
                ],
                [SimData(INPUT_START, count=INPUT_COUNT, datatype=DataType.REGISTERS)],
            ),
            action=self._action,
        )

    async def _tick(self) -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(self.tick)
            now = time.monotonic()
            if self.time_scale > 0:
                with self._lock:
                    self.model.step((now - last) * self.time_scale)
            last = now

    # -- answering ----------------------------------------------------------------------

    async def _action(
        self,
        function_code: int,
        start_address: int,
        address: int,
        count: int,
        registers: list[int],
        set_values: list[int] | list[bool] | None,
    ) -> ExcCodes | None:
        """Fill the registers from the model before a read; check and apply a write."""
        with self._lock:
            if set_values is not None:
                self.requests += 1
                if self.refuse_writes is not None:
                    return self.refuse_writes
                # the pump keeps what the model makes of the value; the register
                # itself takes the request as is, so the answer echoes it
                return self.model.write(address, [int(value) for value in set_values])
            if function_code not in (3, 4):
                return None  # the read a write does to build its answer
            self.requests += 1
            if self.read_exception is not None:
                return self.read_exception
            values = (
                self.model.input_registers()
                if function_code == 4
                else self.model.holding_registers()
            )
            for offset in range(address - start_address, address - start_address + count):
                registers[offset] = values[start_address + offset]
        return None

    def _trace_packet(self, sending: bool, data: bytes) -> bytes:
        """Tear a register answer when asked to: its byte count no longer fits."""
        if not sending or len(data) < 11 or data[7] not in (3, 4):
            return data
        with self._lock:
            if self.corrupt_answers <= 0:
                return data
            self.corrupt_answers -= 1
        pdu = data[7:-2]
        length = len(pdu) + 1
        return data[:4] + length.to_bytes(2, "big") + data[6:7] + pdu

    # -- for tests and users --------------------------------------------------------------

    @contextlib.contextmanager
    def locked(self) -> Iterator[HeatPumpModel]:
        """The model, with the server kept from reading it meanwhile."""
        with self._lock:
            yield self.model

    def advance(self, seconds: float) -> None:
        """Move the model ``seconds`` simulated seconds on at once."""
        with self._lock:
            self.model.step(seconds)

    def force_input(self, address: int, raw: int) -> None:
        """Make input register ``address`` read ``raw`` (a 16-bit value) until released."""
        with self._lock:
            self.model.forced[address] = to_register(raw)

    def release_inputs(self) -> None:
        with self._lock:
            self.model.forced.clear()

    def set_error(self, code: int) -> None:
        """Make the pump report an error ("Störung") with this code; 0 clears it."""
        with self._lock:
            self.model.error = code
            self.model.demand = 0


def _start(simulator: HeliothermSimulator) -> str | None:
    """Start listening; None, or why it cannot (one line, for the command).

    pymodbus logs the reason ("Failed to start server [Errno 98] ...") and then
    raises a RuntimeError without it ("Could not start listen"): its line is held
    back, and binding the same address here tells the reason once.
    """
    pymodbus_log = logging.getLogger("pymodbus")
    level = pymodbus_log.level
    pymodbus_log.setLevel(logging.ERROR)
    try:
        simulator.start()
    except (OSError, RuntimeError) as error:
        return _bind_error(simulator.host, simulator.port) or str(error)
    finally:
        pymodbus_log.setLevel(level)
    return None


def _bind_error(host: str, port: int) -> str | None:
    """Why ``host:port`` cannot be listened on, or None if it can (now)."""
    try:
        with socket.create_server((host, port)):
            return None
    except OSError as error:
        return str(error)


def _serve_until_stopped(simulator: HeliothermSimulator, unit_id: int) -> None:
    """Print where it listens, and serve until Ctrl-C or SIGTERM (a plain ``kill``)."""
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)  # as Ctrl-C
    try:  # Ctrl-C may come as soon as the address is out
        print(
            f"Heliotherm simulator (Modbus TCP, unit id {unit_id}) on {simulator.address}\n"
            f"try: rtoc run --device Heliotherm --set Heliotherm.host={simulator.host} "
            f"--set Heliotherm.port={simulator.port} --set Heliotherm.samplerate=1\n"
            "Ctrl-C or kill stops it.",
            flush=True,
        )
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)  # a second kill while closing: at once
        simulator.stop()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rtoc_heliotherm.simulator",
        description="A simulated Heliotherm heat pump (RCG2) answering Modbus TCP.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument(
        "--port", type=int, default=5020, help="TCP port (502 needs root; 0 picks a free one)"
    )
    parser.add_argument("--unit-id", type=int, default=1, help="Modbus unit id (the pump's: 1)")
    parser.add_argument(
        "--speed",
        type=float,
        default=60.0,
        help="simulated seconds per real second (default 60: the compressor cycles in minutes)",
    )
    args = parser.parse_args(argv)
    simulator = HeliothermSimulator(
        args.host, args.port, unit_id=args.unit_id, time_scale=args.speed
    )
    reason = _start(simulator)
    if reason is not None:
        print(f"cannot listen on {args.host}:{args.port}: {reason}", file=sys.stderr)
        return 1
    _serve_until_stopped(simulator, args.unit_id)
    return 0


if __name__ == "__main__":
    sys.exit(main())
