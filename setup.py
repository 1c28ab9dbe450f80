"""Build the optional C accelerators of the migration (metadata lives in pyproject.toml).

``optional=True``: without a C compiler the install still succeeds and the pure-Python
paths are used (same results, slower): ``canon.pg_json_text_py`` and psycopg's COPY rows.
"""

from setuptools import Extension, setup

_FLAGS = ["-O2"]

setup(ext_modules=[
    Extension("backend.migrate._canon", ["backend/migrate/_canon.c"], optional=True,
              depends=["backend/migrate/_buf.h"], extra_compile_args=_FLAGS),
    Extension("backend.migrate._pgcopy", ["backend/migrate/_pgcopy.c"], optional=True,
              depends=["backend/migrate/_buf.h"], extra_compile_args=_FLAGS),
])
