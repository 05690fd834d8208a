"""Refuse answers that would generate a distribution that cannot work.

Cookiecutter runs this before writing anything; exiting non-zero stops it.
Every answer is rendered as a JSON string, which is also a Python string
literal, so no answer can break this file itself.
"""

import keyword
import re
import sys

SLUG = {{ cookiecutter.slug | jsonify }}
PACKAGE = {{ cookiecutter.package_name | jsonify }}
CLASS = {{ cookiecutter.class_name | jsonify }}
# Answers that end up inside Python strings, docstrings or TOML strings.
TEXTS = {
    "device_name": {{ cookiecutter.device_name | jsonify }},
    "signal_name": {{ cookiecutter.signal_name | jsonify }},
    "unit": {{ cookiecutter.unit | jsonify }},
    "description": {{ cookiecutter.description | jsonify }},
    "author_name": {{ cookiecutter.author_name | jsonify }},
    "author_email": {{ cookiecutter.author_email | jsonify }},
    "repo_url": {{ cookiecutter.repo_url | jsonify }},
}
DEVICE_NAME = TEXTS["device_name"]
# Names the generated device module and tests already use for something else.
TAKEN = {
    "Device", "DeviceError", "Link", "BadAnswer", "ConnectionLost", "Logger", "Priority",
    "Connection", "SIGNAL", "UNIT", "DEFAULT_PORT", "DEFAULT_ADDRESS", "OFFSET_RANGE", "TIMEOUT",
    "MAX_LINE", "Simulator", "BASE", "SWING",
}
# Devices rtoc already has, built into rtoc-core or shipped as device distributions in
# rtoc's repository. A second device of one of these names fails to load: `rtoc devices`
# lists its plugin FAILED. Compared ignoring case, so that `--device` names stay distinct.
EXISTING_DEVICES = {
    "Generator": "rtoc-core (built in)",
    "System": "rtoc-core (built in)",
    "DPS5020": "rtoc-device-dps5020",
    "VC820": "rtoc-device-vc820",
    "INA219": "rtoc-device-ina219",
    "Heliotherm": "rtoc-device-heliotherm",
}


def identifier_problem(name: str) -> str:
    """Why ``name`` cannot be a Python identifier, or '' when it can."""
    if not name:
        return "it is empty"
    if not (name.isascii() and name.isidentifier()):
        return "it is not a Python identifier (ASCII letters, digits, _; not starting with a digit)"
    if keyword.iskeyword(name):
        return "it is a Python keyword"
    return ""


def problems() -> list[str]:
    found = []
    if not DEVICE_NAME.strip():
        found.append("device_name is empty: name the instrument, e.g. 'Acme Thermometer'.")
    if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", SLUG):
        found.append(
            f"slug {SLUG!r} (from device_name {DEVICE_NAME!r}) must be lowercase ASCII letters "
            "and digits joined by single hyphens, e.g. 'acme-thermometer'; give a device_name "
            "with letters in it, or answer slug yourself."
        )
    problem = identifier_problem(PACKAGE)
    if problem:
        found.append(
            f"package_name {PACKAGE!r} cannot be imported: {problem}; "
            "answer package_name yourself, e.g. 'rtoc_acme_thermometer'."
        )
    elif PACKAGE != PACKAGE.lower():
        found.append(f"package_name {PACKAGE!r} must be lowercase (PEP 8).")
    problem = identifier_problem(CLASS)
    if problem:
        found.append(
            f"class_name {CLASS!r} (from device_name {DEVICE_NAME!r}) cannot be a Python "
            f"class name: {problem}; answer class_name yourself, e.g. 'AcmeThermometer'."
        )
    elif not CLASS[0].isupper():
        found.append(f"class_name {CLASS!r} must start with a capital letter (PEP 8).")
    elif CLASS in TAKEN:
        found.append(f"class_name {CLASS!r} is taken by the generated code; choose another.")
    else:
        existing = {name.lower(): (name, source) for name, source in EXISTING_DEVICES.items()}
        if CLASS.lower() in existing:
            name, source = existing[CLASS.lower()]
            found.append(
                f"class_name {CLASS!r} is the device {name} of {source}: a second device "
                "of that name would not load (names are compared ignoring case); answer "
                "class_name yourself, e.g. with the maker's name in front."
            )
    for key, text, limit in (
        ("device_name", DEVICE_NAME, 40),
        ("slug", SLUG, 40),
        ("package_name", PACKAGE, 45),
        ("class_name", CLASS, 40),
        ("signal_name", TEXTS["signal_name"], 40),
        ("unit", TEXTS["unit"], 12),
    ):
        if len(text) > limit:
            found.append(
                f"{key} {text!r} is too long: at most {limit} characters keep the generated "
                "code within 100 columns."
            )
    for key, text in TEXTS.items():
        bad = sorted({char for char in text if char in '"\\' or not char.isprintable()})
        if bad:
            found.append(f"{key} {text!r} must not contain {' or '.join(map(repr, bad))}.")
    if "@" not in TEXTS["author_email"]:
        found.append(f"author_email {TEXTS['author_email']!r} is not an email address.")
    return found


def main() -> int:
    found = problems()
    for problem in found:
        print(f"ERROR: {problem}", file=sys.stderr)
    if found:
        print("Nothing was generated; run cookiecutter again.", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
