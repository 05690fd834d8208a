"""rtoc_heliotherm.simulator: the model, and the pymodbus server answering real Modbus TCP.

The server is talked to with pyModbusTCP, the client the device uses, on 127.0.0.1.
"""

import threading

import pytest
from pymodbus.constants import ExcCodes
from pyModbusTCP.client import ModbusClient
from pyModbusTCP.constants import EXP_DATA_ADDRESS, EXP_DATA_VALUE, MB_EXCEPT_ERR, MB_RECV_ERR

from rtoc.testing.waiting import wait_until
from rtoc_heliotherm.protocol import (
    HOLDING_COUNT,
    HOLDING_START,
    INPUT_COUNT,
    INPUT_START,
    decode,
    encode_temperature,
    to_register,
)
from rtoc_heliotherm.simulator import HeatPumpModel, HeliothermSimulator, main


@pytest.fixture
def pump():
    simulator = HeliothermSimulator(time_scale=0).start()
    yield simulator
    simulator.stop()


@pytest.fixture
def client(pump):
    client = ModbusClient(host=pump.host, port=pump.port, unit_id=1, timeout=2)
    yield client
    client.close()


def read_values(client):
    inputs = client.read_input_registers(INPUT_START, INPUT_COUNT)
    holdings = client.read_holding_registers(HOLDING_START, HOLDING_COUNT)
    return decode(inputs, holdings).values()


# -- the model --------------------------------------------------------------------------


def test_over_a_day_the_pump_cycles_heats_water_and_counts():
    model = HeatPumpModel()
    seen = {"demands": set(), "outdoor": [], "return": [], "hot water": []}
    for _ in range(24 * 12):  # a day in 5-minute steps
        model.step(300)
        seen["demands"].add(model.demand)
        seen["outdoor"].append(model.outdoor)
        seen["return"].append(model.return_temperature)
        seen["hot water"].append(model.hot_water)
    assert model.starts >= 10  # cycles, not one long run
    assert {0, 20, 30} <= seen["demands"]
    assert max(seen["outdoor"]) - min(seen["outdoor"]) > 8  # the daily swing
    assert max(seen["return"]) - min(seen["return"]) > 2
    assert min(seen["hot water"]) > model.hot_water_minimum - 1
    assert max(seen["hot water"]) >= model.hot_water_setpoint
    assert model.thermal_heating > HeatPumpModel().thermal_heating + 50
    assert model.electrical_heating > HeatPumpModel().electrical_heating + 10
    assert model.thermal_hot_water > HeatPumpModel().thermal_hot_water
    assert model.hours_heating > HeatPumpModel().hours_heating + 2
    assert 15 < model.room < 26


def test_off_and_errors_stop_the_compressor_and_summer_heats_only_water():
    model = HeatPumpModel(mode=0, hot_water=30.0, return_temperature=20.0)
    model.step(3600)
    assert model.starts == 0 and not model.compressor
    model = HeatPumpModel(mode=3, return_temperature=20.0, hot_water=40.0)
    model.step(60)
    assert model.demand == 30  # hot water, not the house
    model.step(4 * 3600)
    assert model.demand in (0, 30) and model.hours_heating == HeatPumpModel().hours_heating
    model = HeatPumpModel(return_temperature=15.0, error=2)
    model.step(600)
    assert not model.compressor


def test_cooling_mode_cools():
    model = HeatPumpModel(mode=2, room=24.0, return_temperature=25.0)
    model.step(60)
    assert model.demand == 10
    model.step(600)
    assert model.return_temperature < 25.0


# -- the server -------------------------------------------------------------------------


def test_reads_the_registers_of_the_model(pump, client):
    values = read_values(client)
    assert values["Outdoor temperature"] == 4.0
    assert values["Thermal energy heating"] == 98765
    assert values["Operating mode"] == 1
    pump.advance(2 * 3600)
    later = read_values(client)
    assert later["Outdoor temperature"] > 6  # drifted with the day
    assert later["Thermal energy heating"] > 98765
    assert pump.requests == 4


def test_only_the_pumps_registers_exist(pump, client):
    assert client.read_input_registers(0, 10) is None
    assert (client.last_error, client.last_except) == (MB_EXCEPT_ERR, EXP_DATA_ADDRESS)
    assert client.read_input_registers(INPUT_START, INPUT_COUNT + 1) is None  # 76
    assert client.read_input_registers(HOLDING_START, 1) is None  # another table
    assert client.read_holding_registers(100, 53) is not None  # 100..152
    assert client.read_holding_registers(153, 1) is None


def test_writes_are_honoured_and_clamped_as_the_pump_does(pump, client):
    assert client.write_single_register(100, 3)
    assert client.write_single_register(101, encode_temperature(22.5))
    assert client.write_multiple_registers(105, [encode_temperature(55), encode_temperature(40)])
    assert client.write_single_register(127, 1)
    with pump.locked() as model:
        assert (model.mode, model.room_setpoint, model.external_demand) == (3, 22.5, 1)
        assert (model.hot_water_setpoint, model.hot_water_minimum) == (55.0, 40.0)
    # beyond the pump's limits: taken, clamped to them (the answer echoes the request)
    assert client.write_single_register(101, encode_temperature(30))
    assert client.write_single_register(105, encode_temperature(2))
    assert client.read_holding_registers(101, 1) == [250]
    assert client.read_holding_registers(105, 1) == [50]
    assert client.write_single_register(140, 123)  # a register the model only keeps
    assert client.read_holding_registers(140, 1) == [123]


@pytest.mark.parametrize(
    ("address", "raw", "code"),
    [
        (100, 8, EXP_DATA_VALUE),  # a mode only the pump sets
        (100, 12, EXP_DATA_VALUE),
        (101, to_register(-10), EXP_DATA_VALUE),  # -1.0 °C
        (101, 501, EXP_DATA_VALUE),  # 50.1 °C
        (105, 901, EXP_DATA_VALUE),
        (127, 2, EXP_DATA_VALUE),
        (128, 5, EXP_DATA_VALUE),
        (126, 500, EXP_DATA_ADDRESS),  # compressor speed preset: not to be written
        (10, 1, EXP_DATA_ADDRESS),  # an input register
    ],
)
def test_illegal_writes_are_answered_with_a_modbus_exception(pump, client, address, raw, code):
    before = pump.model.holding_registers()
    assert not client.write_single_register(address, raw)
    assert (client.last_error, client.last_except) == (MB_EXCEPT_ERR, code)
    assert pump.model.holding_registers() == before
    assert client.is_open  # an answer, the connection stays


def test_a_multiple_write_is_all_or_nothing(pump, client):
    assert not client.write_multiple_registers(100, [2, 999])
    assert client.last_except == EXP_DATA_VALUE
    assert pump.model.mode == 1


def test_an_error_is_reported_and_reset_through_register_128(pump, client):
    pump.set_error(7)
    assert read_values(client)["Error"] == 7
    assert client.write_single_register(128, 1)
    assert read_values(client)["Error"] == 0
    assert client.read_holding_registers(128, 1) == [0]


def test_fault_switches(pump, client):
    pump.force_input(10, 0x8000)
    assert client.read_input_registers(10, 1) == [0x8000]
    pump.release_inputs()
    assert client.read_input_registers(10, 1) == [40]

    pump.read_exception = ExcCodes.DEVICE_FAILURE
    assert client.read_input_registers(10, 1) is None
    assert client.last_except == 4
    pump.read_exception = None

    pump.refuse_writes = ExcCodes.DEVICE_BUSY
    assert not client.write_single_register(100, 0)
    assert client.last_except == 6
    pump.refuse_writes = None

    pump.corrupt_answers = 1
    assert client.read_input_registers(10, 2) is None
    assert client.last_error == MB_RECV_ERR and client.is_open  # torn frame, socket fine
    assert client.read_input_registers(10, 2) == [40, 470]


def test_stops_and_starts_again_on_the_same_port(pump, client):
    port = pump.port
    assert port > 0 and client.read_input_registers(10, 1) == [40]
    pump.stop()
    assert not pump.running
    assert client.read_input_registers(10, 1) is None
    assert not client.open()  # refused: nothing listens
    pump.start()
    assert pump.port == port
    assert client.open() and client.read_input_registers(10, 1) == [40]
    pump.stop()
    pump.stop()  # twice is fine
    assert not [t for t in threading.enumerate() if t.name.startswith("heliotherm-simulator")]


def test_the_model_runs_in_real_time_when_asked():
    with HeliothermSimulator(time_scale=3600, tick=0.05) as fast:
        wait_until(lambda: fast.model.time > 600, 3, "simulated time to pass")
        client = ModbusClient(host=fast.host, port=fast.port, timeout=2)
        assert client.read_input_registers(10, 1) is not None
        client.close()
    assert not fast.running


def test_a_busy_port_is_an_error_and_leaves_nothing_running(pump):
    other = HeliothermSimulator(port=pump.port)
    with pytest.raises((OSError, RuntimeError)):
        other.start()
    assert not other.running
    assert main(["--port", str(pump.port)]) == 1
