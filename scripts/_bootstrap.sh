# Sourced by scripts/serve and scripts/test: installs the locked dependencies into .venv.
#
# Needs only Python 3.11. uv comes from PATH if present (and able to read uv.lock); otherwise
# it is installed with pip into a small tools venv outside the checkout, so `uv sync` (which
# removes anything the lock does not list) never has to manage the uv that is running it.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

find_python() {
  local candidate
  for candidate in "${PYTHON:-}" python3.11 python3; do
    if [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1 \
      && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
      command -v "$candidate"
      return 0
    fi
  done
  echo "error: Python 3.11 is required (python3.11 or python3 on PATH)" >&2
  return 1
}

# Sets UV to a uv installed with pip, outside the checkout.
pip_uv() {
  local tools="${XDG_CACHE_HOME:-$HOME/.cache}/loyalite/uv-tools"
  if [ ! -x "$tools/bin/uv" ]; then
    echo "Installing uv with pip into $tools..." >&2
    if ! { "$PYTHON_BIN" -m venv "$tools" && "$tools/bin/python" -m pip install -q uv; }; then
      # No venv module (Debian without python3-venv): fall back to a user install.
      rm -rf "$tools"
      "$PYTHON_BIN" -m pip install -q --user uv
      UV=("$PYTHON_BIN" -m uv)
      return 0
    fi
  fi
  UV=("$tools/bin/uv")
}

# --frozen: install exactly what uv.lock pins (it is not re-resolved); dev tools included.
uv_sync() {
  UV_PROJECT_ENVIRONMENT="$ROOT/.venv" UV_PYTHON_DOWNLOADS=never \
    "${UV[@]}" sync --frozen --python 3.11 --quiet
}

PYTHON_BIN="$(find_python)"
if command -v uv >/dev/null 2>&1; then
  UV=(uv)
  if ! uv_sync; then
    echo "uv on PATH ($(uv --version)) could not sync; trying a current uv from pip" >&2
    pip_uv
    uv_sync
  fi
else
  pip_uv
  uv_sync
fi
