#!/usr/bin/env bash
# The Python environment of the export tests (tests/it/export_tools.rs): py-feat 2.1.5 (whose `read_feat` and `Fex`
# load the fex export; its package imports torch, so the full package is installed), DuckDB (reads the Parquet
# dataset), jsonschema (validates the JSON export against docs/export.schema.json) and openpyxl (reads the xlsx
# export).
# The same venv runs the training pipeline's tests (training/tests): training/requirements.txt pins torch, timm,
# safetensors and pytest at the versions py-feat also accepts, so the CUDA build of torch (5.4 GB installed) is
# installed once, not once per environment (CI's disk is not large).
# The xAPI tests' Learning Record Store (tests/it/xapi.rs), Ralph (ralph-malph with its LRS server and CLI, and requests,
# which its auth module imports), gets a venv of its own, tests/.venv-lrs (LRS_VENV): its pinned FastAPI, pydantic and
# uvicorn must not move the export tools' versions (about 20 s and 150 MB).
# Usage: scripts/test-venv.sh [VENV]   (default tests/.venv; about 3 minutes and 6.5 GB on a fresh machine).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${1:-tests/.venv}
if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq python3-venv >/dev/null
fi
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import feat, duckdb, jsonschema, openpyxl, timm, safetensors, pytest' >/dev/null 2>&1; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --upgrade pip
  "$venv/bin/pip" install -q --no-cache-dir -r training/requirements.txt 'py-feat==2.1.5' 'duckdb>=1.1' 'jsonschema>=4.18' 'openpyxl>=3.1'
fi
"$venv/bin/python" -c 'import feat, duckdb, jsonschema; print("test venv:", feat.__version__, duckdb.__version__)'
lrs=${LRS_VENV:-tests/.venv-lrs}
# ralph.api picks its backend on import (Elasticsearch by default, not installed): the fs one, as the tests run it.
if [ ! -x "$lrs/bin/python" ] ||
  ! RALPH_RUNSERVER_BACKEND=fs "$lrs/bin/python" -c 'import ralph.api, ralph.cli, uvicorn, requests' >/dev/null 2>&1; then
  python3 -m venv "$lrs"
  "$lrs/bin/pip" install -q --upgrade pip
  "$lrs/bin/pip" install -q --no-cache-dir 'ralph-malph[cli,lrs]==5.1.0' 'requests>=2.31'
fi
"$lrs/bin/python" -c 'import importlib.metadata as m; print("lrs venv: ralph-malph", m.version("ralph-malph"))'
