# auth-service: `make run` serves on 127.0.0.1:8080 with embedded SQLite; `make test` runs every test.
.DEFAULT_GOAL := help
CARGO ?= cargo

.PHONY: help run test api-check bench bench-load bench-micro bench-compare lint fmt ci migrate clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

run: ## start the service (SQLite in data/auth.db, migrations applied at start)
	$(CARGO) run --locked -p auth-server --bin auth-server -- serve

test: ## run the whole workspace's tests on SQLite and PostgreSQL
	scripts/with-test-postgres.sh $(CARGO) test --locked --workspace

api-check: ## Schemathesis (pinned, in target/api-check) against a release server: the API matches /openapi.json
	scripts/api-check/run.sh

bench: bench-load bench-micro ## both benchmarks below

bench-load: ## load benchmark with wrk over loopback, SQLite then PostgreSQL; report in target/bench/report.md
	scripts/with-test-postgres.sh scripts/bench/run.sh

bench-compare: ## status and login against an earlier revision (BASE=rev, default HEAD~1), in interleaved turns
	scripts/with-test-postgres.sh scripts/bench/compare.sh

bench-micro: ## criterion: token codec, email parsing, bcrypt (against C), login timing (unknown email vs wrong password)
	$(CARGO) bench --locked -p auth-domain --features test-util
	$(CARGO) bench --locked -p auth-bcrypt
	$(CARGO) bench --locked -p auth-verify
	-python3 scripts/bench/bcrypt-c.py

lint: ## formatting, clippy and the domain crate's dependency rule
	$(CARGO) fmt --all --check
	$(CARGO) clippy --locked --workspace --all-targets --features auth-domain/test-util -- -D warnings
	scripts/check-domain-deps.sh

fmt: ## format the code
	$(CARGO) fmt --all

migrate: ## apply pending migrations to the configured database and exit
	$(CARGO) run --locked -p auth-server --bin auth-server -- migrate

ci: ## what CI runs
	bash .ci/run

clean: ## remove build output and the development database
	$(CARGO) clean
	rm -rf data
