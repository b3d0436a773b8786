# Sunshine (阳光审批). `make run` sets up and runs the product on SQLite; `make test` sets up
# and runs every test (SQLite and PostgreSQL, real graphviz). Both install what they need.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUNSHINE := $(BIN)/sunshine
DB ?= sqlite:///sunshine.db
# the demo's data key (personal data sealed at rest; docs/operations.md, 个人信息): made once
DATA_KEY ?= demo-data.key

.PHONY: run test bench reliability setup system-deps services lint clean site

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

setup: system-deps $(VENV)/.installed

# Debian packages: graphviz (flowcharts), a CJK font (Chinese labels), poppler (PDF checks).
system-deps:
	@sh .ci/ensure-system-deps.sh

services:
	@sh .ci/ensure-postgres.sh

# The demo county's staff (demo/staff.json): the first run registers them (admin first, the
# rest after the powers are deployed, since posts are the powers' lanes); later runs skip them.
run: export SUNSHINE_DATA_KEY ?= $(abspath $(DATA_KEY))
run: setup
	test -e $(DATA_KEY) || $(SUNSHINE) data-key generate --out $(DATA_KEY)
	$(SUNSHINE) --db $(DB) db upgrade
	$(SUNSHINE) --db $(DB) user import demo/staff.json --only admin,sheji
	$(SUNSHINE) --db $(DB) deploy processes/*.bpmn --as sheji
	$(SUNSHINE) --db $(DB) user import demo/staff.json --as admin
	SUNSHINE_MODE=demo $(SUNSHINE) --db $(DB) demo
	$(SUNSHINE) --db $(DB) publish site site --as gongkai
	@echo ""
	@echo "阳光审批 on $(DB): open http://127.0.0.1:8000/ and sign in as a demo user, password sunshine-demo"
	@echo "  window clerk chuangkou, handlers scjg06 (现场核查岗) / scjg05 (审核岗), approver scjg03,"
	@echo "  head scjg.head, supervisor jiancha, designer sheji, administrator admin (sunshine user list)"
	@echo "Public catalogue: site/index.html; the CLI: . $(VENV)/bin/activate && sunshine --help"
	@echo "Starting the web application and the deadline worker (Ctrl-C to stop) ..."
	$(SUNSHINE) --db $(DB) web --host 127.0.0.1 --port 8000

test: setup services
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q

# Every speed target, one table (bench/README.md). `make bench BENCH_ARGS=--quick`: < 3 min.
bench: $(VENV)/.installed services
	$(BIN)/python -m bench $(BENCH_ARGS)

# The long fault campaign (docs/reliability.md): 100 SIGKILLs of web processes and workers per
# database, SQLite and PostgreSQL, every invariant checked after each; ≈ 20–40 min on 2 cores.
# `make reliability RELIABILITY_ARGS="--kills 20 --backends sqlite"` for a shorter one.
reliability: $(VENV)/.installed services
	$(BIN)/python -m tests.reliability.campaign $(RELIABILITY_ARGS)

lint:
	$(BIN)/ruff check engine adapters tests

clean:
	rm -rf $(VENV) site sunshine.db sunshine.db-wal sunshine.db-shm
