"""Keep pytest out of the template: its files are Jinja templates, not importable Python.

tests/test_plugin_template.py renders the template and runs the generated tests.
"""

collect_ignore_glob = ["rtoc-device-*"]
