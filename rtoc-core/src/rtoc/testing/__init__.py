"""Test helpers shipped with rtoc for the authors of plugins and backends.

They live in the installed package, not in rtoc's own ``tests/``, so that a
separately distributed backend (``rtoc-postgres``, say) can rerun the checks
the built-in backends pass: see :mod:`rtoc.testing.storage_contract`. They
need pytest, which rtoc itself does not.
"""
