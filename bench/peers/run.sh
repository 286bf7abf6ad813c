#!/usr/bin/env bash
# The peer check end to end (issue 18): one simulated dataset and split, the lab's esmm and aitm on it, torch-rechub's
# ESMM and AITM on the same encoded rows, then results.md. See README.md for what each step does and why.
#
#   bash bench/peers/run.sh                      # about 20 minutes on 2 cores
#   SEEDS=1,2,3 ABLATION_SEEDS=1 bash bench/peers/run.sh --out /tmp/peers.md   # a quicker look
#
# Environment:
#   PYTHON          the interpreter that imports torch_rechub (default /usr/bin/python3; a venv's bin/python)
#   RECHUB_SRC      a torch_rechub source tree to put first on PYTHONPATH instead of an installed package
#   WORK            where the data, the project and every run's JSON go (default: a new temp folder, kept)
#   SEEDS           training seeds of the side-by-side table (default 1,2,3,4,5)
#   ABLATION_SEEDS  seeds of the investigation runs (default 1,2,3)
set -euo pipefail
cd "$(dirname "$0")/../.."

OUT=bench/peers/results.md
if [[ "${1:-}" == "--out" ]]; then OUT=$2; fi
PYTHON=${PYTHON:-/usr/bin/python3}
SEEDS=${SEEDS:-1,2,3,4,5}
ABLATION_SEEDS=${ABLATION_SEEDS:-1,2,3}
WORK=${WORK:-$(mktemp -d /tmp/esmc-peers.XXXXXX)}
mkdir -p "$WORK/runs"
if [[ -n "${RECHUB_SRC:-}" ]]; then export PYTHONPATH="$RECHUB_SRC${PYTHONPATH:+:$PYTHONPATH}"; fi
echo "work folder: $WORK" >&2

# Fail before any training if torch_rechub cannot be imported (the peer script's placeholders cover pandas, tqdm
# and sklearn, which torch_rechub imports but these runs never call).
"$PYTHON" -c 'import importlib.util as u, sys; u.find_spec("torch_rechub") or sys.exit("torch_rechub is not importable: install it or set RECHUB_SRC (see README.md)")'

# 1. Data: the built-in simulator, imported into a project with a stored random split, exported as encoded rows.
# The dense columns are ignored at import: torch-rechub's ESMM embeds categorical features only (its forward drops
# dense values), so both sides see exactly the same six categorical fields and one multi-hot bag.
if [[ ! -f "$WORK/data/encoded.csv" ]]; then
  node bin/esmc-lab.js simulate --out "$WORK/sim.csv" --preset paper-like --rows 100000 --seed 1 >&2
  node bin/esmc-lab.js import --project "$WORK/peers.duckdb" --data "$WORK/sim.csv" --name sim \
    --roles '{"dense":[],"ignore":["d0","d1","d2","d3"]}' --split random --seed 1 >&2
  npx tsx bench/peers/export.ts --project "$WORK/peers.duckdb" --dataset sim --split random --out "$WORK/data"
fi

# The matched settings, the same on both sides.
COMMON=(--epochs 3 --batch-size 512 --lr 0.001 --embedding-dim 8 --hidden 64,32)

# 2. Ours: the lab's engine on the stored split, one process per run; the JSON run record keeps every metric.
ours() { # variant model seeds [extra train flags…]
  local variant=$1 model=$2 seeds=$3
  shift 3
  for seed in ${seeds//,/ }; do
    local file="$WORK/runs/ours.$variant.$model.$seed.json"
    [[ -s "$file" ]] && continue
    node bin/esmc-lab.js train --project "$WORK/peers.duckdb" --dataset sim --stored-split random --model "$model" \
      "${COMMON[@]}" --patience none --dropout 0 --weight-decay 0 --threads 1 --seed "$seed" --json "$@" \
      >"$file.part" 2>>"$WORK/ours.log"
    mv "$file.part" "$file"
    echo "ours $variant $model seed $seed done" >&2
  done
}
ours matched esmm "$SEEDS"
ours matched aitm "$SEEDS" --loss-weights calibrator=0
ours calibrator aitm "$SEEDS"
# Investigation: our models with one of our training choices turned to torch-rechub's.
ours output-bias-zero esmm "$ABLATION_SEEDS" --output-bias zero
ours output-bias-zero aitm "$ABLATION_SEEDS" --output-bias zero --loss-weights calibrator=0
ours dense-adam esmm "$ABLATION_SEEDS" --embedding dense
ours dense-adam aitm "$ABLATION_SEEDS" --embedding dense --loss-weights calibrator=0

# 3. Theirs: torch-rechub's classes in a plain PyTorch loop (rechub_peer.py), default, then with our choices.
theirs() { # variant seeds [extra flags…]
  local variant=$1 seeds=$2
  shift 2
  for model in esmm aitm; do
    local file="$WORK/runs/theirs.$variant.$model.json"
    [[ -s "$file" ]] && continue
    "$PYTHON" bench/peers/rechub_peer.py --data "$WORK/data" --model "$model" --seeds "$seeds" "${COMMON[@]}" \
      --out "$file.part" "$@"
    mv "$file.part" "$file"
  done
}
theirs matched "$SEEDS"
theirs no-batch-norm "$ABLATION_SEEDS" --no-batch-norm
theirs lazy-adam "$ABLATION_SEEDS" --lazy-embedding-adam
theirs embed-std-0.05 "$ABLATION_SEEDS" --embed-init-std 0.05
theirs output-bias-base-rate "$ABLATION_SEEDS" --output-bias-base-rate
theirs all-four "$ABLATION_SEEDS" --no-batch-norm --lazy-embedding-adam --embed-init-std 0.05 --output-bias-base-rate

# 4. The report.
"$PYTHON" bench/peers/report.py --work "$WORK" --out "$OUT"
npx prettier --write "$OUT" >/dev/null # the repository's markdown style, which `npm run lint` checks
echo "written: $OUT" >&2
