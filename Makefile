# Two commands do all the set-up on a fresh Debian 12 machine:
#   make run    create .venv, install nnbuilder (and, as root, the Qt system
#               libraries it lacks), start the app with an example loaded
#   make test   same set-up, then the import contracts (lint-imports) and the
#               whole test suite
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# Qt's offscreen platform needs the first line; a real window (Xvfb) the rest,
# and the real-pointer tests drive that window with xdotool.
QT_LIBS := libgl1 libegl1 libdbus-1-3 libfontconfig1 libglib2.0-0 libxkbcommon0 \
	xvfb xauth libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 \
	libxcb-render-util0 libxcb-render0 libxcb-shape0 libxcb-util1 libxcb-xkb1 \
	libxkbcommon-x11-0 xdotool

.PHONY: run test setup sysdeps bench clean dist

run: setup
	@if [ -z "$$DISPLAY$$WAYLAND_DISPLAY$$QT_QPA_PLATFORM" ]; then \
		echo "nnbuilder: no display found (DISPLAY/WAYLAND_DISPLAY unset): run 'xvfb-run make run' for a virtual screen, or use the CLI: $(BIN)/nnbuilder --help"; \
	else \
		$(BIN)/nnbuilder $(ARGS); \
	fi

# lint-imports checks the architecture contracts in pyproject.toml.
test: setup
	$(BIN)/lint-imports --no-cache --no-logo
	$(BIN)/python -m pytest

setup: sysdeps $(STAMP)

# Installs missing Debian packages when root; otherwise prints the command.
sysdeps:
	@missing=""; \
	for p in $(QT_LIBS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "Installing system libraries:$$missing"; \
			export DEBIAN_FRONTEND=noninteractive; \
			apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
		else \
			echo "nnbuilder: missing system libraries; run: sudo apt-get install -y$$missing"; \
		fi; \
	fi

$(STAMP): pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# The standalone one-folder bundle dist/nnbuilder/ (PyInstaller; what goes in
# and what is cut: packaging/nnbuilder.spec), then its smoke test where no
# Python is installed (packaging/smoke.sh). Not part of `make test`.
DIST_STAMP := $(VENV)/.dist-installed

dist: sysdeps $(DIST_STAMP)
	$(BIN)/pyinstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller \
		packaging/nnbuilder.spec
	bash packaging/smoke.sh dist/nnbuilder

$(DIST_STAMP): pyproject.toml setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[dist]'
	touch $@

bench: setup
	$(BIN)/python benchmarks/bench_engine.py
	$(BIN)/python benchmarks/bench_gui.py
	$(BIN)/python benchmarks/bench_csv.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache
