#!/usr/bin/env bash
# Creates the benchmark venv and installs the peers from PyPI, each on its own: a peer that does
# not install (or does not import afterwards) is recorded as missing, with the reason, in
# $VENV/peers.json, and the benchmarks report it as missing. Peers already importable are kept.
#
#   bash bench/setup_venv.sh [VENV=.bench-venv] [PYTHON=python3]
#
# TORCH_CPU_INDEX: PyTorch's CPU-only wheel index, used when reachable (a much smaller download);
# otherwise the default PyPI wheel, which runs on the CPU as well. Set it empty to skip the probe.
set -uo pipefail

VENV=${1:-.bench-venv}
PYTHON=${2:-python3}
TORCH_CPU_INDEX=${TORCH_CPU_INDEX-https://download.pytorch.org/whl/cpu}
PY="$VENV/bin/python"
PIP=("$PY" -m pip install -q)
STATUS="$VENV/peers.json.tmp"

if [ ! -x "$PY" ]; then
  "$PYTHON" -m venv "$VENV" || exit 1
fi
"${PIP[@]}" --upgrade pip || exit 1
# What the harness itself needs, and what `pip install --no-build-isolation .` needs for kcore.
"${PIP[@]}" numpy scipy ml_dtypes matplotlib nanobind scikit-build-core || exit 1

: > "$STATUS"
record() {  # name status detail
  printf '%s\t%s\t%s\n' "$1" "$2" "$(printf '%s' "$3" | tr '\t\n' '  ' | cut -c1-400)" >> "$STATUS"
}

# check NAME PYTHON-CODE: the peer imports and computes something.
check() {
  "$PY" -c "$2" >/dev/null 2>"$VENV/.check.err"
}

install_peer() {  # name check-code pip-args...
  local name=$1 code=$2
  shift 2
  if check "$name" "$code"; then
    record "$name" ok "already installed"
    return
  fi
  echo "bench: installing $name ($*)"
  local log
  if ! log=$("$PY" -m pip install -q "$@" 2>&1); then
    record "$name" missing "pip install $* failed: $(printf '%s' "$log" | grep -m1 -iE 'error|no matching' || printf '%s' "$log" | tail -1)"
    echo "bench: $name could not be installed; it will be reported as missing"
    return
  fi
  if check "$name" "$code"; then
    record "$name" ok "$*"
  else
    record "$name" missing "installed but does not import: $(tail -1 "$VENV/.check.err")"
  fi
}

# NumPy and SciPy came with the harness's own requirements above.
if check numpy "import numpy, scipy; numpy.add(1, 2)"; then
  record numpy ok "numpy scipy"
else
  record numpy missing "does not import: $(tail -1 "$VENV/.check.err")"
fi
install_peer jax "import jax.numpy as jnp; jnp.add(1.0, 2.0).block_until_ready()" "jax[cpu]"

torch_code="import torch; torch.add(torch.ones(2), 1)"
if ! check torch "$torch_code" && [ -n "$TORCH_CPU_INDEX" ] &&
   "$PY" -c "import urllib.request, sys; urllib.request.urlopen(sys.argv[1] + '/torch/', timeout=10)" \
     "$TORCH_CPU_INDEX" >/dev/null 2>&1; then
  install_peer torch "$torch_code" --index-url "$TORCH_CPU_INDEX" torch
else
  install_peer torch "$torch_code" torch
fi

# MLX's CPU build for Linux; mlx[cpu] pulls in mlx-cpu.
install_peer mlx "import mlx.core as mx; mx.eval(mx.add(mx.ones(2), 1))" "mlx[cpu]"

"$PY" - "$STATUS" "$VENV/peers.json" <<'EOF'
import importlib.metadata as md, json, sys
rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1]) if line.strip()]
dist = {"numpy": "numpy", "jax": "jax", "torch": "torch", "mlx": "mlx"}
out = {"installed": {}, "missing": {}, "how": {}}
for name, status, detail in rows:
    if status == "ok":
        out["installed"][name] = md.version(dist[name])
        out["how"][name] = detail
    else:
        out["missing"][name] = detail
json.dump(out, open(sys.argv[2], "w"), indent=1)
print("bench: peers installed:", ", ".join(f"{k} {v}" for k, v in out["installed"].items()) or "none")
for k, v in out["missing"].items():
    print(f"bench: peer missing: {k}: {v}")
EOF
rm -f "$STATUS" "$VENV/.check.err"
