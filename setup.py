"""Build the optional C accelerators (metadata lives in pyproject.toml).

``optional=True``: without a C compiler the install still succeeds and the pure-Python
paths are used (same results, slower): the migration's ``canon.pg_json_text_py`` and
psycopg's COPY rows; the skills catalogue reads files one by one (``bulk_read``).
"""

from setuptools import Extension, setup

_FLAGS = ["-O2"]

setup(ext_modules=[
    Extension("backend.migrate._canon", ["backend/migrate/_canon.c"], optional=True,
              depends=["backend/migrate/_buf.h"], extra_compile_args=_FLAGS),
    Extension("backend.migrate._pgcopy", ["backend/migrate/_pgcopy.c"], optional=True,
              depends=["backend/migrate/_buf.h"], extra_compile_args=_FLAGS),
    Extension("backend.skills._readmany", ["backend/skills/_readmany.c"], optional=True,
              extra_compile_args=_FLAGS),
])
