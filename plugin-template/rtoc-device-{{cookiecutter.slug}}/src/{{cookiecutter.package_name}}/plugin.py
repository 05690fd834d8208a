"""Tells rtoc about the {{ cookiecutter.device_name }}.

``[project.entry-points.rtoc]`` in pyproject.toml names this module; rtoc
imports it at start and calls every hook it implements (see ``rtoc.hookspecs``).
"""

import rtoc

from .device import {{ cookiecutter.class_name }}


@rtoc.hookimpl
def rtoc_devices():
    return [{{ cookiecutter.class_name }}]
