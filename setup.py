"""Build the optional C accelerator (metadata lives in pyproject.toml).

``optional=True``: without a C compiler the install still succeeds and the pure-Python
reference in ``backend/migrate/canon.py`` is used (same results, slower).
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("backend.migrate._jsonb", ["backend/migrate/_jsonb.c"],
                             optional=True, extra_compile_args=["-O2"])])
