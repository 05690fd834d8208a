"""plugin-template/ writes a device distribution that works as soon as it is installed.

The template is rendered with cookiecutter's Python API, the way a plugin
author runs it without prompts; the result is linted with ruff, installed with
its test extra beside ./rtoc-core into one fresh virtual environment, and then
its own tests, ``rtoc devices`` and ``rtoc run`` against its simulator must all
work. Bad answers are refused by the template's pre-generation hook.
"""

from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from rtoc.plugins import PluginRegistry
from rtoc.storage.sqlite import SQLiteStorage
from rtoc.testing.installed import listed_device, run_rtoc

#: The rtoc repository this test runs in.
REPO = Path(__file__).resolve().parent.parent

cookiecutter_main = pytest.importorskip(
    "cookiecutter.main", reason="the plugin template needs cookiecutter>=2.6 (pip install it)"
)
FailedHookException = pytest.importorskip("cookiecutter.exceptions").FailedHookException
yaml = pytest.importorskip("yaml")

pytestmark = pytest.mark.slow

TEMPLATE = REPO / "plugin-template"
ANSWERS = {
    "device_name": "Acme Thermometer",
    "author_name": "Ada Lovelace",
    "author_email": "ada@example.org",
    "github_username": "ada",
}
DISTRIBUTION = "rtoc-device-acme-thermometer"
PACKAGE = "rtoc_acme_thermometer"
DEVICE = "AcmeThermometer"


def installed(distribution: str) -> bool:
    try:
        importlib.metadata.distribution(distribution)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def render(output_dir: Path, **answers: str) -> Path:
    """Render the template without prompts; the generated project's folder.

    The user's ~/.cookiecutterrc is ignored and the replay file goes beside
    ``output_dir``, not into ~/.cookiecutter_replay.
    """
    config = {"replay_dir": str(output_dir.parent / f"{output_dir.name}-replay")}
    folder = cookiecutter_main.cookiecutter(
        str(TEMPLATE),
        no_input=True,
        extra_context=answers,
        output_dir=str(output_dir),
        default_config=config,
    )
    return Path(folder)


def ruff_command() -> list[str]:
    if importlib.util.find_spec("ruff") is not None:
        return [sys.executable, "-m", "ruff"]
    found = shutil.which("ruff")
    if found is None:
        pytest.skip("ruff is neither importable nor on PATH, so the lint check cannot run")
    return [found]


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return render(tmp_path_factory.mktemp("template"), **ANSWERS)


def install_commands(readme: Path) -> list[str]:
    """The commands of the lines in ``readme`` that install rtoc-core from ``$RTOC_CORE``."""
    found = re.findall(r"^(pip install \S*RTOC_CORE.*?)(?:\s+#.*)?$", readme.read_text(), re.M)
    assert found, f"no install line with RTOC_CORE in {readme}"
    return found


@pytest.fixture(scope="module")
def venv_python(project: Path) -> str:
    """One fresh virtual environment, set up by the generated README's install line as written.

    RTOC_CORE names this repository's rtoc-core, as the README tells users to
    do until rtoc-core is on PyPI.
    """
    venv = project.parent / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    (command,) = set(install_commands(project / "README.md"))
    environment = {
        **os.environ,
        "VIRTUAL_ENV": str(venv),
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "RTOC_CORE": str(REPO / "rtoc-core"),
    }
    subprocess.run(["bash", "-c", command], cwd=project, env=environment, check=True, timeout=600)
    return str(venv / "bin" / "python")


def test_the_answers_name_the_distribution_package_and_class(project):
    assert project.name == DISTRIBUTION
    files = {str(path.relative_to(project)) for path in project.rglob("*") if path.is_file()}
    assert files == {
        "pyproject.toml",
        "README.md",
        ".gitignore",
        ".github/workflows/test.yml",
        f"src/{PACKAGE}/__init__.py",
        f"src/{PACKAGE}/plugin.py",
        f"src/{PACKAGE}/device.py",
        f"src/{PACKAGE}/simulator.py",
        f"tests/test_{PACKAGE}.py",
    }
    pyproject = (project / "pyproject.toml").read_text()
    assert f'name = "{DISTRIBUTION}"' in pyproject
    assert f'acme-thermometer = "{PACKAGE}.plugin"' in pyproject
    assert f"class {DEVICE}(rtoc.Device):" in (project / f"src/{PACKAGE}/device.py").read_text()
    assert "Ada Lovelace" in pyproject and "https://github.com/ada/" in pyproject
    workflow = (project / ".github/workflows/test.yml").read_text()
    assert "${{ matrix.python-version }}" in workflow  # GitHub's syntax, not rendered away
    assert "RTOC_CORE: ${{ vars.RTOC_CORE }}" in workflow
    (command,) = set(install_commands(project / "README.md"))
    assert f"          {command}\n" in workflow  # CI installs as the README says
    assert install_commands(REPO / "rtoc-core" / "README.md") == [command]  # and the walk-through
    jobs = yaml.safe_load(workflow)["jobs"]  # PyYAML comes with cookiecutter
    assert "3.10" in jobs["test"]["strategy"]["matrix"]["python-version"]
    assert "{{" not in (project / "README.md").read_text()


def test_generated_code_passes_ruff(project, tmp_path):
    ruff = ruff_command()
    # and so do awkward but valid answers: all-capitals, non-ASCII, long texts
    odd = render(
        tmp_path,
        device_name="Präzisions-Wärmezähler XL 2000 Mk.II",
        signal_name="Energy delivered to the heating circuit",
        unit="kW·h",
        description="A long description that has to be wrapped in the docstring. " * 4,
    )
    upper = render(tmp_path, device_name="HMC8012")
    assert (odd / "src" / "rtoc_prazisions_warmezahler_xl_2000_mk_ii").is_dir()
    for folder in (project, odd, upper):
        for check in (["check"], ["format", "--check"]):
            result = subprocess.run(
                [*ruff, *check, "--no-cache", "."], cwd=folder, capture_output=True, text=True
            )
            assert result.returncode == 0, f"{folder.name}: ruff {check}\n{result.stdout}"


def test_generated_tests_pass_in_a_fresh_venv(project, venv_python):
    result = subprocess.run(
        [venv_python, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"\b21 passed\b", result.stdout), result.stdout


def test_rtoc_devices_lists_the_generated_device(venv_python, home):
    device = listed_device(DEVICE, home, python=venv_python)
    assert device["source"] == f"{DISTRIBUTION} 0.1.0"
    assert device["parameters"] == {"address": "127.0.0.1:5025", "samplerate": 2.0}
    assert device["functions"] == {"set_offset": "(offset: float) -> None"}
    assert device["doc"].startswith("rtoc device driver for the Acme Thermometer")


def test_rtoc_run_records_from_the_simulator(venv_python, home):
    simulator = subprocess.Popen(
        [venv_python, "-m", f"{PACKAGE}.simulator", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        banner = simulator.stdout.readline()
        port = re.search(r"listening on 127\.0\.0\.1:(\d+)", banner)
        assert port, banner
        result = run_rtoc(
            home,
            "run",
            "--device",
            DEVICE,
            "--set",
            f"{DEVICE}.address=127.0.0.1:{port[1]}",
            "--set",
            f"{DEVICE}.samplerate=10",
            "--duration",
            "2",
            python=venv_python,
        )
    finally:
        simulator.terminate()
        simulator.wait(10)
        simulator.stdout.close()
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Started {DEVICE}." in result.stdout
    storage = SQLiteStorage(home / "rtoc.sqlite")
    samples = storage.read(DEVICE, "Temperature")
    units = {info.key: info.unit for info in storage.signals()}
    events = storage.events()
    storage.close()
    assert len(samples.x) >= 10
    assert ((samples.y >= 20.0) & (samples.y <= 22.0)).all()  # the simulator's 21 ± 1
    assert units[(DEVICE, "Temperature")] == "°C"
    assert [event.text for event in events] == []  # connected at once, no warnings


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"device_name": " "}, "device_name is empty"),
        ({"device_name": "!!!"}, "slug '' (from device_name '!!!') must be lowercase"),
        ({"device_name": "3D Scanner"}, "class_name '3DScanner' (from device_name '3D Scanner')"),
        ({"device_name": "Link"}, "class_name 'Link' is taken by the generated code"),
        ({"device_name": "UNIT"}, "class_name 'UNIT' is taken by the generated code"),
        ({"device_name": "Logger"}, "class_name 'Logger' is taken by the generated code"),
        ({"device_name": "Generator"}, "class_name 'Generator' is the device Generator of rtoc-"),
        ({"device_name": "vc 820"}, "class_name 'Vc820' is the device VC820 of rtoc-device-vc"),
        ({"class_name": "acme"}, "class_name 'acme' must start with a capital letter"),
        ({"package_name": "rtoc-acme"}, "package_name 'rtoc-acme' cannot be imported"),
        ({"package_name": "import"}, "package_name 'import' cannot be imported: it is a Python"),
        ({"package_name": "Rtoc_acme"}, "package_name 'Rtoc_acme' must be lowercase"),
        ({"device_name": 'Acme "Pro"'}, "device_name 'Acme \"Pro\"' must not contain '\"'"),
        ({"unit": "degrees Celsius"}, "unit 'degrees Celsius' is too long"),
        ({"author_email": "nobody"}, "author_email 'nobody' is not an email address"),
    ],
)
def test_bad_answers_are_refused_before_anything_is_written(tmp_path, capfd, answers, message):
    output = tmp_path / "out"
    output.mkdir()
    with pytest.raises(FailedHookException):
        render(output, **answers)
    error = capfd.readouterr().err
    assert message in error, textwrap.indent(error, "    ")
    assert "Nothing was generated" in error
    assert list(output.iterdir()) == []


def test_the_hook_knows_every_device_rtoc_ships():
    """EXISTING_DEVICES in the hook names the devices of rtoc-core and of each rtoc-device-*."""
    hook = (TEMPLATE / "hooks" / "pre_gen_project.py").read_text(encoding="utf-8")
    listed = ast.literal_eval(re.search(r"^EXISTING_DEVICES = (\{.*?^\})", hook, re.S | re.M)[1])
    shipped = {"rtoc-core", *(folder.name for folder in REPO.glob("rtoc-device-*"))}
    absent = sorted(name for name in shipped if not installed(name))
    if absent:
        pytest.skip(f"not installed here, so their devices are unknown: {', '.join(absent)}")
    sources = {
        name: entry.plugin.source.split()[0]
        for name, entry in PluginRegistry.load().devices.items()
    }
    devices = {name: source for name, source in sources.items() if source in shipped}
    assert {name: source.split()[0] for name, source in listed.items()} == devices
