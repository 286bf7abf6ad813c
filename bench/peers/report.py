"""Writes results.md from a peer-check work folder (run.sh): the lab's run records (ours.VARIANT.MODEL.SEED.json,
`esmc-lab train --json`) and rechub_peer.py's (theirs.VARIANT.MODEL.json), test AUCs as mean ± std over seeds.

    python3 bench/peers/report.py --work DIR --out bench/peers/results.md

The explanation of the differences is bench/peers/findings.md, written by hand from a run and appended verbatim.
"""

import argparse
import datetime
import glob
import json
import os
import platform

import numpy as np

THRESHOLD = 0.005  # the issue's: a difference above this is looked into
STAGES = {
    "esmm": [("ctr_auc", "CTR (all rows)"), ("cvr_auc", "CVR (clicked rows)"), ("ctcvr_auc", "CTCVR (all rows)")],
    "aitm": [
        ("ctr_auc", "CTR (all rows)"),
        ("avr_auc", "AVR (clicked rows)"),
        ("ctavr_auc", "CTAVR (all rows)"),
        ("cvr_auc", "CVR (clicked rows)"),
        ("ctcvr_auc", "CTCVR (all rows)"),
    ],
}
OUR_VARIANTS = {
    "matched": "ours (lab), matched settings",
    "output-bias-zero": "ours, output biases start at 0 (`--output-bias zero`)",
    "dense-adam": "ours, plain Adam on the embedding table (`--embedding dense`)",
}
THEIR_VARIANTS = {
    "matched": "theirs (torch-rechub), matched settings",
    "no-batch-norm": "theirs, BatchNorm1d → identity",
    "lazy-adam": "theirs, lazy (sparse) Adam on the embedding tables",
    "embed-std-0.05": "theirs, embeddings N(0, 0.05) instead of N(0, 1e-4)",
    "output-bias-base-rate": "theirs, output biases at the stage's base-rate logit",
    "all-four": "theirs with all four of the lab's choices above",
}


def load(work):
    """{(side, variant, model): [per-seed test AUCs, bestEpoch and seed]}, and one raw record of each."""
    runs, records = {}, {}
    for path in sorted(glob.glob(os.path.join(work, "runs", "ours.*.json"))):
        _, variant, model, _seed, _ = os.path.basename(path).split(".")
        with open(path) as file:
            record = json.load(file)
        records.setdefault(("ours", variant, model), record)
        run = {k: v for k, v in record["metrics"]["test"].items() if k.endswith("_auc")}
        run.update(bestEpoch=record["training"]["bestEpoch"], seed=record["trainConfig"]["seed"])
        runs.setdefault(("ours", variant, model), []).append(run)
    for path in sorted(glob.glob(os.path.join(work, "runs", "theirs.*.json"))):
        variant, model = os.path.basename(path)[len("theirs.") : -len(".json")].rsplit(".", 1)
        with open(path) as file:
            record = json.load(file)
        records[("theirs", variant, model)] = record
        for r in record["runs"]:
            run = {**r["test"], **{f"final_{k}": v for k, v in r["testFinalEpoch"].items()}}
            run.update(bestEpoch=r["bestEpoch"], seed=r["seed"])
            runs.setdefault(("theirs", variant, model), []).append(run)
    return runs, records


def stats(values):
    values = np.asarray(values, dtype=float)
    std = values.std(ddof=1) if len(values) > 1 else float("nan")
    return values.mean(), std, len(values)


def cell(runs, key):
    mean, std, _ = stats([r[key] for r in runs])
    return f"{mean:.4f} ± {std:.4f}"


def difference(ours, theirs, key):
    """ours − theirs, with the standard error of the difference of the two means (is it more than seed noise?),
    and whether it exceeds the issue's threshold."""
    m1, s1, n1 = stats([r[key] for r in ours])
    m2, s2, n2 = stats([r[key] for r in theirs])
    se = float(np.sqrt(s1**2 / n1 + s2**2 / n2))
    flag = "**> 0.005**" if abs(m1 - m2) > THRESHOLD else "within 0.005"
    return f"{m1 - m2:+.4f} (± {se:.4f})", flag


def epochs(runs):
    return ", ".join(str(r["bestEpoch"]) for r in sorted(runs, key=lambda r: r["seed"]))


def side_by_side(runs, model, title):
    ours, theirs = runs[("ours", "matched", model)], runs[("theirs", "matched", model)]
    lines = [f"### {title}", "", f"Test AUC, mean ± std over {len(ours)} seeds (ours) and {len(theirs)} (theirs).", ""]
    lines += ["| stage | ours (lab) | theirs (torch-rechub) | ours − theirs (± s.e.) | |", "|---|---|---|---|---|"]
    for key, name in STAGES[model]:
        diff, flag = difference(ours, theirs, key)
        lines.append(f"| {name} | {cell(ours, key)} | {cell(theirs, key)} | {diff} | {flag} |")
    if ("ours", "calibrator", model) in runs:
        extra = runs[("ours", "calibrator", model)]
        row = ", ".join(f"{name.split(' ')[0]} {cell(extra, key)}" for key, name in STAGES[model])
        lines += ["", f"Extra row, ours with AITM's default calibrator (weight 0.6), {len(extra)} seeds: {row}."]
    lines += ["", f"Epoch kept (lowest validation loss) per seed: ours {epochs(ours)}; theirs {epochs(theirs)}.", ""]
    return lines


def investigation(runs, model):
    stages = [(key, name.split(" ")[0]) for key, name in STAGES[model] if key != "avr_auc"]
    lines = [f"### {model.upper()}: what each training choice moves", ""]
    lines += ["| run | seeds | " + " | ".join(name for _, name in stages) + " | epochs kept |"]
    lines += ["|---|---|" + "---|" * len(stages) + "---|"]
    for side, variants in (("ours", OUR_VARIANTS), ("theirs", THEIR_VARIANTS)):
        for variant, label in variants.items():
            rs = runs.get((side, variant, model))
            if rs:
                values = " | ".join(cell(rs, key) for key, _ in stages)
                lines.append(f"| {label} | {len(rs)} | {values} | {epochs(rs)} |")
    return lines + [""]


def metric_definitions(runs):
    lines = [
        "### One model, two CVR AUCs",
        "",
        "torch-rechub's MTLTrainer scores each output column against its label over every row; for ESMM's task 0",
        "that is pCVR against the purchase label on all exposures (models-reference §12, pitfall 8). The same",
        "predictions of their matched runs, scored both ways:",
        "",
        "| model | CVR AUC, clicked rows (lab) | pCVR vs purchase, all rows (their trainer) |",
        "|---|---|---|",
    ]
    for model in ("esmm", "aitm"):
        rs = runs[("theirs", "matched", model)]
        lines.append(f"| {model.upper()} (theirs) | {cell(rs, 'cvr_auc')} | {cell(rs, 'cvr_auc_all_rows')} |")
    return lines + [""]


def final_epoch(runs):
    lines = [
        "### Their last epoch",
        "",
        "torch-rechub's MTLTrainer keeps the last epoch unless its early stopper fires; the tables above use the epoch",
        "of lowest validation loss on both sides, as the lab does. Their matched runs at their last epoch (3):",
        "",
        "| model | CTR | CVR | CTCVR |",
        "|---|---|---|---|",
    ]
    for model in ("esmm", "aitm"):
        rs = runs[("theirs", "matched", model)]
        values = " | ".join(cell(rs, f"final_{key}") for key in ("ctr_auc", "cvr_auc", "ctcvr_auc"))
        lines.append(f"| {model.upper()} (theirs, epoch 3) | {values} |")
    return lines + [""]


def parameters(records, side, model):
    record = records[(side, "matched", model)]
    return f"{record['parameters'] if side == 'ours' else record['runs'][0]['parameters']:,}"


def settings(records):
    ours, theirs = records[("ours", "matched", "esmm")], records[("theirs", "matched", "esmm")]
    train, model, split = ours["trainConfig"], ours["modelConfig"], ours["data"]["split"]
    peer, source = theirs["settings"], theirs["source"]
    origin = f"torch-rechub {source['installedVersion']}" if source["installedVersion"] else "a source tree (README.md)"
    placeholders = ", ".join(source["placeholdersFor"]) or "none"
    rows = [
        ("data", "simulator, paper-like, 100,000 rows, seed 1; dense columns ignored", "the same encoded rows"),
        (
            "split",
            f"stored random split, seed 1: train {split['train']}, validation {split['validation']}, "
            f"test {split['test']}",
            "the same rows",
        ),
        (
            "features",
            "6 categorical fields + 1 multi-hot bag (mean-pooled)",
            "SparseFeature × 6 + SequenceFeature (mean) × 1",
        ),
        ("embedding dim", model["embeddingDim"], peer["embedding_dim"]),
        (
            "towers",
            f"hidden {model['tower']['hidden']}, {model['tower']['activation']}, no BatchNorm",
            f"MLP dims [{peer['hidden']}]: Linear → BatchNorm1d → ReLU",
        ),
        (
            "optimiser",
            f"Adam lr {train['learningRate']}, batch {train['batchSize']}, weight decay {train['weightDecay']}; "
            "lazy Adam on the table",
            f"torch Adam lr {peer['lr']}, batch {peer['batch_size']}, weight decay {peer['weight_decay']}; "
            "dense Adam on the tables",
        ),
        (
            "epochs",
            f"{train['epochs']}, no early stopping, the epoch of lowest validation loss kept",
            f"{peer['epochs']}, the same selection",
        ),
        ("ESMM loss", "BCE(c, pCTR) + BCE(c·b, pCTCVR)", "the same (MTLTrainer sums tasks 1 and 2)"),
        ("AITM loss", "sum of BCE on c, c·a, c·b; calibrator weight 0", "mean of the same three BCEs; no calibrator"),
        (
            "initialisation",
            "embeddings N(0, 0.05); nn.Linear's uniform; output biases at the base-rate logit",
            "embeddings N(0, 1e-4); nn.Linear's uniform",
        ),
        (
            "runtime",
            f"tfjs {ours['backend']['name']} ({ours['backend']['device']}), one thread",
            f"PyTorch {theirs['torch']}, one thread",
        ),
        (
            "parameters",
            f"ESMM {parameters(records, 'ours', 'esmm')}, AITM {parameters(records, 'ours', 'aitm')}",
            f"ESMM {parameters(records, 'theirs', 'esmm')}, AITM {parameters(records, 'theirs', 'aitm')}",
        ),
        ("code", "this repository's dist/", f"`torch_rechub` from {origin}; import placeholders for {placeholders}"),
    ]
    lines = ["## Settings", "", "| | ours (lab) | theirs (torch-rechub) |", "|---|---|---|"]
    return lines + [f"| {name} | {a} | {b} |" for name, a, b in rows] + [""]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    runs, records = load(args.work)
    load_average = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    machine = f"{platform.machine()}, {os.cpu_count()} cores"
    lines = [
        "# Peer check: the lab's ESMM and AITM beside torch-rechub's",
        "",
        f"Written by `bash bench/peers/run.sh` on {datetime.date.today()}: {machine},",
        f"load average {load_average} when written. AUCs follow the lab's protocol (models-reference §9): CTR, CTAVR",
        "and CTCVR on every test exposure, CVR and AVR on the clicked test rows only. \"± s.e.\" is the standard",
        "error of the difference of the two means.",
        "",
        "## Side by side",
        "",
    ]
    lines += side_by_side(runs, "esmm", "ESMM")
    lines += side_by_side(runs, "aitm", "AITM without calibrator (torch-rechub's trainer has none)")
    lines += settings(records)
    lines += ["## Investigation", ""]
    lines += investigation(runs, "esmm") + investigation(runs, "aitm")
    lines += metric_definitions(runs) + final_epoch(runs)
    findings = os.path.join(os.path.dirname(os.path.abspath(__file__)), "findings.md")
    if os.path.exists(findings):
        with open(findings) as file:
            lines += [file.read().rstrip(), ""]
    with open(args.out, "w") as file:
        file.write("\n".join(lines))


if __name__ == "__main__":
    main()
