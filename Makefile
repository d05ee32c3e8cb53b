# Amanah CRM — the two commands a newcomer needs are `make demo` and `make test`.
PYTHON ?= python3.11
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test install assets lint bench messages clean-db

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# Python dependencies exactly as locked in uv.lock, into .venv.
install: $(UV)
	$(UV) sync --frozen --python $(PYTHON) --quiet

# Front-end libraries from the npm registry (package-lock.json), copied into the app.
assets:
	npm ci --no-audit --no-fund --loglevel=error
	node scripts/build-assets.mjs

demo: install assets
	$(BIN)/amanah demo

test: install assets
	AMANAH_ENV=test $(BIN)/ruff check amanah
	AMANAH_ENV=test $(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check amanah && $(BIN)/ruff format --check amanah

# Regenerate the English translation catalogue after changing Indonesian source strings.
messages: install
	AMANAH_ENV=test $(BIN)/amanah makemessages -l en --no-location -i ".venv/*" -i ".tools/*" \
		-i "node_modules/*" -i "var/*" -i "*/tests/*" -i "bench/*"
	AMANAH_ENV=test $(BIN)/amanah compilemessages -l en -i ".venv" -i ".tools" -i "node_modules"

clean-db:
	$(BIN)/amanah db stop || true
	rm -rf var/pgdata
