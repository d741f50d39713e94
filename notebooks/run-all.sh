#!/usr/bin/env bash
# Executes every notebook in this folder headless against a finished pipeline run and fails on the first
# error. The executed copies (with outputs) and the figures go to OUT_DIR, never over the committed notebooks.
#
#   notebooks/run-all.sh RUN_DIR [OUT_DIR]
#
#   RUN_DIR  output directory of a pipeline run, e.g. out/fashion-mnist-quick
#   OUT_DIR  where executed notebooks go (default: a new temporary directory); figures in OUT_DIR/figures/*.png
#
# Uses the system Python (/usr/bin/python3) and Debian's Jupyter packages, installing them when missing
# (apt-get, non-interactive; needs root or sudo). Without pyarrow the notebooks read RUN_DIR/export/; when it
# is missing this script writes it with `bin/kd export`. Notebook 03 does not run the pipeline unless
# KD_BYO_EXECUTE=1; its generated images and run go under OUT_DIR.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
PY=/usr/bin/python3
JUPYTER=/usr/bin/jupyter
PACKAGES=(python3-numpy python3-pandas python3-matplotlib python3-nbformat python3-nbconvert jupyter-nbconvert
          jupyter-client python3-ipykernel)

usage() {
  sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

[[ $# -ge 1 && $# -le 2 && "$1" != -h && "$1" != --help ]] || usage
RUN="$(cd "$1" 2>/dev/null && pwd)" || { echo "run-all: no run directory at $1" >&2; exit 2; }
OUT="${2:-$(mktemp -d -t kd-notebooks.XXXXXX)}"
mkdir -p "$OUT/figures"
OUT="$(cd "$OUT" && pwd)"

have_python_deps() {
  [[ -x "$PY" && -x "$JUPYTER" ]] &&
    "$PY" -c 'import numpy, pandas, matplotlib, nbformat, nbconvert, ipykernel, jupyter_client' 2>/dev/null
}

if ! have_python_deps; then
  echo "run-all: installing ${PACKAGES[*]}" >&2
  SUDO=()
  [[ "$(id -u)" -eq 0 ]] || SUDO=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update -qq
  "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null
  have_python_deps || { echo "run-all: Jupyter packages still missing after apt-get" >&2; exit 1; }
fi

if ! "$PY" -c 'import pyarrow' 2>/dev/null && [[ ! -f "$RUN/export/export.json" ]]; then
  echo "run-all: no pyarrow and no $RUN/export: writing it with bin/kd export" >&2
  "$ROOT/bin/kd" export --output "$RUN"
fi

export KD_RUN="$RUN"
export KD_FIGURES="$OUT/figures"
export KD_BYO_IMAGES="${KD_BYO_IMAGES:-$OUT/byo-images}"
export KD_BYO_RUN="${KD_BYO_RUN:-$OUT/byo-run}"
export PYDEVD_DISABLE_FILE_VALIDATION=1   # silences ipykernel's debugger warning about frozen modules
export MPLBACKEND="${MPLBACKEND:-module://matplotlib_inline.backend_inline}"  # never a window, figures into the outputs

status=0
for nb in "$HERE"/[0-9][0-9]-*.ipynb; do
  name="$(basename "$nb" .ipynb)"
  start=$SECONDS
  rm -f "$KD_FIGURES/${name:0:2}"-*.png
  # the kernel starts in the notebook's folder, so `import kdrun` and the relative defaults resolve there
  if ! "$JUPYTER" nbconvert --to notebook --execute --ExecutePreprocessor.timeout=600 \
        --output-dir "$OUT" "$nb" > "$OUT/$name.log" 2>&1; then
    echo "run-all: FAILED $name (log: $OUT/$name.log)" >&2
    tail -n 30 "$OUT/$name.log" >&2
    status=1
    continue
  fi
  figures=$(find "$KD_FIGURES" -name "${name:0:2}-*.png" | wc -l)
  if [[ "$figures" -eq 0 ]]; then
    echo "run-all: FAILED $name wrote no figure to $KD_FIGURES" >&2
    status=1
    continue
  fi
  echo "run-all: ok $name ($((SECONDS - start)) s, $figures figures)"
done

echo "run-all: executed notebooks and figures in $OUT"
exit $status
