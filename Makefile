# The two commands: `make demo` and `make test`. Everything else is a helper for them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HPF_PORT ?= 8000
export HPF_IVR_PORT ?= 4573
GOVAPP_IDP_PORT ?= 8100
DEMO_DEPOSITORS ?= 400
DEMO_YEARS ?= 6
export HPF_GENERATE_SECRETS ?= 1
# The suite and the type checker load settings without DEBUG: hosts the test client uses.
export ALLOWED_HOSTS ?= 127.0.0.1,localhost,testserver

.PHONY: demo test venv lint typecheck pytest serve seed-demo clean bench messages \
	bootstrap-python bootstrap-demo bootstrap-test bootstrap-bench cluster cluster-down

# What the machine must have (Python 3.11+ with venv; for the suite chromium, a CJK font,
# poppler-utils, zbar-tools): checked in a moment, installed with apt-get when missing, or the
# command to run printed (scripts/bootstrap).
bootstrap-python bootstrap-demo bootstrap-test bootstrap-bench: bootstrap-%:
	@PYTHON=$(PYTHON) scripts/bootstrap $*

# One env for everything: the dev tools, the demo data generator (Faker, extra `demo`) and the
# benchmarks' process sampler (psutil, extra `bench`).
$(BIN)/.installed: pyproject.toml
	@PYTHON=$(PYTHON) scripts/bootstrap python
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev,demo,bench]'
	@touch $@

venv: $(BIN)/.installed

demo: export DEBUG ?= 1
# Every demo sign-in comes from 127.0.0.1: the README's walk signs in as seven people, more
# than the production SMS budget of one address allows in an hour (10).
demo: export HPF_SMS_PER_ADDR_HOUR ?= 200
demo: export HPF_SMS_PER_ADDR_DAY ?= 1000
# The stand-in 一部手机办事通 identity provider (devtools/govapp_idp) on its own port.
demo: export HPF_GOVAPP_ISSUER ?= http://127.0.0.1:$(GOVAPP_IDP_PORT)
demo: export HPF_GOVAPP_CLIENT_ID ?= hpf-demo
demo: export HPF_GOVAPP_CLIENT_SECRET ?= hpf-demo-govapp-secret
# The address the demo prints and certificates' QR codes carry: localhost, a domain (passkeys
# refuse an IP address).
demo: export HPF_PUBLIC_BASE_URL ?= http://localhost:$(HPF_PORT)
demo: bootstrap-demo venv
	$(BIN)/hpf migrate --no-input
	$(BIN)/hpf seed --depositors $(DEMO_DEPOSITORS) --years $(DEMO_YEARS) --seed 1 --if-empty
	$(BIN)/hpf demo-lists
	$(BIN)/hpf demo-logins
	@# Beside the web server, stopped with it: the stand-in province's OpenID provider, the
	@# 12329 hotline's FastAGI server and the notification sender (every 5 s: a notice switched
	@# on for SMS lands in the demo outbox /portal/dev/outbox/).
	$(BIN)/hpf govapp-people > var/govapp-people.json
	@echo "  一部手机办事通登录 (stand-in province at $$HPF_GOVAPP_ISSUER): open http://localhost:$(HPF_PORT)/portal/login/,"
	@echo "    press 一部手机办事通登录 and pick a person (face-verified lands at once; 仅实名核验 also asks the SMS code)"
	@echo "  notifications: sent every 5 s by hpf send-notifications --follow (log: var/notifications.log)"
	@echo "  web server: $(if $(filter 1,$(DEV)),Django's auto-reloading development server (DEV=1),gunicorn serving the collected static files as in production (DEV=1: the auto-reloading server)) at http://localhost:$(HPF_PORT)/"
	$(BIN)/python -m devtools.govapp_idp.serve --port $(GOVAPP_IDP_PORT) --people var/govapp-people.json \
		--client-id "$$HPF_GOVAPP_CLIENT_ID" --client-secret "$$HPF_GOVAPP_CLIENT_SECRET" \
		--redirect-uri http://localhost:$(HPF_PORT)/portal/govapp/callback/ \
		--redirect-uri http://127.0.0.1:$(HPF_PORT)/portal/govapp/callback/ > var/govapp-idp.log 2>&1 & \
	idp=$$!; \
	$(BIN)/hpf ivr-serve --port $(HPF_IVR_PORT) & ivr=$$!; \
	$(BIN)/hpf send-notifications --follow --interval 5 > var/notifications.log 2>&1 & sender=$$!; \
	trap 'kill $$idp $$ivr $$sender 2>/dev/null; wait $$ivr $$sender' EXIT INT TERM; \
	BIN=$(BIN) HPF_PORT=$(HPF_PORT) DEV=$(DEV) scripts/demo-serve

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: venv
	$(BIN)/mypy hpf

pytest: bootstrap-test venv
	$(BIN)/pytest -q

test: bootstrap-test lint typecheck pytest

# Compile the gettext catalogs (.po -> .mo, committed); needs GNU gettext's msgfmt.
messages: venv
	cd hpf/channels/portal && ../../../$(BIN)/django-admin compilemessages --settings=hpf.settings
	cd hpf/cases && ../../$(BIN)/django-admin compilemessages --settings=hpf.settings

# The city benchmarks on a saved seeded city (hpf_city<N/1000>k, seeded once if missing; its
# keys in CITY_VAR_DIR), one table of figures, baselines, ratios and goals (bench/README.md).
DEPOSITORS ?= 1500000
CITY_VAR_DIR ?= var/city
BENCH_MINUTES ?= 60
bench: bootstrap-bench venv
	$(BIN)/python -m bench.city --depositors $(DEPOSITORS) --var-dir $(CITY_VAR_DIR) \
		--max-minutes $(BENCH_MINUTES)

# A PostgreSQL primary and a synchronous hot standby under var/cluster (ports 55432 / 55433).
cluster:
	scripts/cluster up

cluster-down:
	scripts/cluster down

clean:
	rm -rf $(VENV) var/*.sqlite3* var/static
