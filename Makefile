# Every target creates or refreshes .venv itself: `make run` and `make test` are the only
# set-up commands a fresh machine needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck bench bench-quick bench-soak fuzz protos clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/tas demo

test: $(STAMP) lint typecheck
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check tas media registrations tests
	$(BIN)/ruff format --check tas media registrations tests

typecheck: $(STAMP)
	$(BIN)/mypy tas media registrations

bench: $(STAMP)
	$(BIN)/python -m tests.bench

# The headline ratios of issue 17 in about a minute (tests/bench/quick.py).
bench-quick: $(STAMP)
	$(BIN)/python -m tests.bench.quick

# RSS drift of tas serve over 10 minutes at steady load (tests/bench/bench_memory.py --soak).
bench-soak: $(STAMP)
	$(BIN)/python -m tests.bench.bench_memory --soak

# Coverage-guided fuzzing (atheris): each target for FUZZ_SECONDS, corpus and crash artefacts
# under FUZZ_DIR; fails when any target crashed. See README "Tests and benchmarks".
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= sip headers framing sdp rtp rtcp dtmf
FUZZ_DIR ?= build/fuzz
FUZZ_FLAGS ?= -max_len=4096 -timeout=10 -print_final_stats=1

$(VENV)/.atheris: $(STAMP)
	$(BIN)/python -m pip install -q -e '.[dev,fuzz]'
	touch $@

fuzz: $(VENV)/.atheris
	$(BIN)/python -m tests.fuzz.seeds $(FUZZ_DIR)/corpus
	@status=0; for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_DIR)/crashes/$$t; \
	  echo "== fuzz $$t for $(FUZZ_SECONDS) s (crashes in $(FUZZ_DIR)/crashes/$$t)"; \
	  $(BIN)/python -m tests.fuzz.atheris_main $$t -max_total_time=$(FUZZ_SECONDS) $(FUZZ_FLAGS) \
	    -artifact_prefix=$(FUZZ_DIR)/crashes/$$t/ $(FUZZ_DIR)/corpus/$$t || status=1; \
	done; exit $$status

protos: $(STAMP)
	$(BIN)/python -m registrations.protos

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
