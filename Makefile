# The README's two commands: `make demo` and `make test`. Everything they need is installed here.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck unit bench reliability deps system-deps clean control-plane test-cluster screenshot

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	@echo "Installing the project and its test tools into $(VENV) (log: $(VENV)/install.log)..."
	@$(BIN)/pip install --quiet --upgrade pip > $(VENV)/install.log 2>&1 || (cat $(VENV)/install.log; exit 1)
	@$(BIN)/pip install --quiet -e '.[dev]' >> $(VENV)/install.log 2>&1 || (cat $(VENV)/install.log; exit 1)
	@touch $(STAMP)

deps: $(STAMP)

## Debian's redis-server, and chromium for the incident page's browser test (installed only when missing).
system-deps:
	@bash .ci/system-deps.sh

demo: $(STAMP)
	$(BIN)/chatops console $(ARGS)

## The README's picture of the incident page, taken from the demo itself (docs/incident-page.png).
screenshot: $(STAMP) system-deps
	$(BIN)/python -m tests.support.demo_page docs/incident-page.png

lint: $(STAMP)
	$(BIN)/ruff check chatops bot workers shared kubesim controlplane tests benchmarks
	$(BIN)/ruff format --check chatops bot workers shared kubesim controlplane tests benchmarks
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -q $(PYTEST_ARGS)

test: $(STAMP) system-deps lint typecheck unit

## The real control plane (kube-apiserver, kube-controller-manager, kube-scheduler, KWOK) built from the
## pinned Go modules in controlplane/go into ~/.cache/chatops (reused while the pins and Go stay the same).
control-plane: $(STAMP)
	$(BIN)/python -m controlplane.build

## The trust suite on the real control plane (the same tests run on kubesim in `make test`).
test-cluster: $(STAMP) system-deps control-plane
	$(BIN)/pytest -q -p no:cacheprovider --bed control-plane tests/beds tests/fidelity $(PYTEST_ARGS)

## Speed and memory, each figure against a peer measured in the same run (see README, "Figures").
bench: $(STAMP) system-deps
	$(BIN)/python -m benchmarks $(ARGS)

## The fault drills alone, verbosely, ending with a table of trials and of trials that lost or duplicated
## anything, per family, the slowest recovery and the seed (see README, "Figures"). They also run in `make test`,
## with fewer trials. Repeat a family's trials with the seed printed: make reliability ARGS="--seed N --only FAMILY".
DRILLS := tests/drills tests/bot/test_approved_jobs.py tests/approvals/test_store.py \
	tests/slack/test_security.py tests/slack/test_commands.py tests/slack/test_cards.py \
	tests/core/test_grammar_properties.py tests/slack/test_bot_process.py tests/slack/test_reply_ledger.py \
	tests/slack/test_signature_drill.py tests/slack/test_delivery_drill.py tests/slack/test_slack_429_drill.py \
	tests/beds/test_apiserver_restart.py
## --bed control-plane: the drills marked control_plane (kube-apiserver restarts) run on the real one; no other
## drill takes a bed. The drills mostly wait (for a worker's death to be noticed, a server to start, a
## retry's back-off), so DRILL_PROCESSES pytest processes (pytest-xdist) run them side by side, each with
## its own redis-server; their tallies add up to the one table. The kube-apiserver restart trials stay together
## in one process (their xdist_group), one control plane at a time.
DRILL_PROCESSES ?= 3
reliability: $(STAMP) system-deps control-plane
	$(BIN)/pytest -v -p no:cacheprovider -n $(DRILL_PROCESSES) --dist loadgroup --drill-summary \
		--bed control-plane $(DRILLS) $(PYTEST_ARGS) $(ARGS)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
