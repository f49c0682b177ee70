# 洗新乡低保扩面扩围工作平台 — `make run` to try it, `make test` to check it.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# Only this PC by default; `make run HOST=0.0.0.0` opens the demo to the LAN (with a warning).
HOST ?= 127.0.0.1
# The demo runs as of 2022-11-10, mid-campaign (a banner shows the pinned date). `make run APP_TODAY=` for real time.
APP_TODAY ?= 2022-11-10
# The demo signs in without the TOTP second factor (a banner says so); production keeps it on.
OTP_REQUIRED ?= 0
SYSTEM_PACKAGES := fonts-noto-cjk libharfbuzz-subset0 poppler-utils chromium python3-venv
# Only for `make test`: the roster test converts the 花名册 to PDF with LibreOffice.
TEST_PACKAGES := libreoffice-calc-nogui
export DJANGO_SETTINGS_MODULE := xixin_dibao.settings

.PHONY: run test lint format bench worker beat check-deploy system-deps test-deps apt-install venv demo clean

system-deps:  ## Debian packages: CJK font for PDFs, HarfBuzz subsetting, Chromium for browser tests
	@$(MAKE) --no-print-directory apt-install PACKAGES="$(SYSTEM_PACKAGES)"

test-deps: system-deps  ## and LibreOffice, which only the tests use
	@$(MAKE) --no-print-directory apt-install PACKAGES="$(TEST_PACKAGES)"

apt-install:
	@missing=""; for p in $(PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "安装系统依赖:$$missing"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

$(VENV)/.stamp-req: requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	@touch $@

venv: $(VENV)/.stamp-req

demo: system-deps venv  ## migrate and load the reference data and the demo township
	$(PY) manage.py migrate --noinput -v0
	APP_TODAY=$(APP_TODAY) $(PY) manage.py load_demo

run: demo  ## serve the app on SQLite at http://127.0.0.1:$(PORT)/ (this PC only; HOST=0.0.0.0 for the LAN)
	@$(PY) manage.py recover_jobs
	@OTP_REQUIRED=$(OTP_REQUIRED) $(PY) manage.py login_help --port $(PORT)
	@if [ "$(HOST)" != "127.0.0.1" ] && [ "$(HOST)" != "localhost" ]; then \
	  echo "警告：平台将在 $(HOST):$(PORT) 上对局域网开放。演示账户的密码是公开的，请勿录入真实数据；"; \
	  echo "      正式使用请按 README“生产部署”配置 HTTPS、SECRET_KEY 与 SECURE_PRODUCTION=1。"; \
	fi
	@export APP_TODAY=$(APP_TODAY) OTP_REQUIRED=$(OTP_REQUIRED); \
	if [ "$(HOST)" != "127.0.0.1" ] && [ "$(HOST)" != "localhost" ]; then \
	  export ALLOWED_HOSTS=$${ALLOWED_HOSTS:-127.0.0.1,localhost,$$(hostname -I 2>/dev/null | tr ' ' ',')}; fi; \
	trap 'kill 0' EXIT; \
	$(PY) manage.py run_scheduler & \
	$(PY) manage.py runserver --insecure $(HOST):$(PORT)

test: test-deps venv  ## lint and the whole suite (uses DATABASE_URL / REDIS_URL when set)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m pytest $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: system-deps venv  ## performance ratios, measured side by side (see README)
	$(PY) manage.py bench $(BENCH_ARGS)

worker: venv  ## a Celery worker (needs REDIS_URL)
	$(VENV)/bin/celery -A xixin_dibao worker -l info -Q celery,dossiers,screening -c 2

beat: venv  ## Celery beat: deadline enforcement, dashboard refresh, audit retention
	$(VENV)/bin/celery -A xixin_dibao beat -l info

check-deploy: venv  ## Django's deployment checklist with production settings
	SECURE_PRODUCTION=1 DEBUG=0 SECRET_KEY=$${SECRET_KEY:-$$(head -c 48 /dev/urandom | base64)} \
	ALLOWED_HOSTS=$${ALLOWED_HOSTS:-dibao.example.gov.cn} \
	$(PY) manage.py check --deploy --fail-level WARNING

clean:
	rm -rf var staticfiles test-artifacts
