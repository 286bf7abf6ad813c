"""torch-rechub's ESMM and AITM on the lab's encoded rows, scored with the lab's protocol.

The models are torch-rechub's own classes, imported from whatever `torch_rechub` is on the path (an installed
torch-rechub, or a source tree through PYTHONPATH; see README.md). Only the harness is ours: a plain PyTorch loop
that does what torch-rechub's MTLTrainer does per step (Adam, BCE per task, ESMM summing only its CTR and CTCVR
terms, other models averaging their tasks), the lab's model selection (keep the epoch of lowest validation loss,
which is what `esmc-lab train --patience none` does), and the lab's metrics.

    python3 bench/peers/rechub_peer.py --data DIR --model esmm --seeds 1,2,3 --out theirs-esmm.json

DIR holds encoded.csv and schema.json from export.ts.
"""

import argparse
import copy
import importlib.util
import json
import os
import sys
import time
import types

import numpy as np
import torch


def placeholder_modules():
    """torch_rechub.basic.features imports torch_rechub.utils.data, which imports pandas, tqdm and sklearn at
    module level although nothing used here calls them. Where one is not installed (Debian's python3-torch and
    python3-numpy alone), a placeholder that fails loudly if called lets the import through; an installed package
    is never shadowed."""
    def unavailable(name):
        def call(*_args, **_kwargs):
            raise RuntimeError(f"{name} is not installed; rechub_peer.py only provides a placeholder to import")
        return call

    names = {
        "pandas": [],
        "tqdm": [],
        "sklearn": [],
        "sklearn.metrics": ["mean_squared_error", "roc_auc_score"],
        "sklearn.preprocessing": ["LabelEncoder"],
    }
    missing = [top for top in ("pandas", "tqdm", "sklearn") if importlib.util.find_spec(top) is None]
    for module, attributes in names.items():
        if module.split(".")[0] not in missing:
            continue
        placeholder = types.ModuleType(module)
        for attribute in attributes:
            setattr(placeholder, attribute, unavailable(f"{module}.{attribute}"))
        sys.modules[module] = placeholder
    return missing


PLACEHOLDERS = placeholder_modules()
import torch_rechub  # noqa: E402
from torch_rechub.basic.features import SequenceFeature, SparseFeature  # noqa: E402
from torch_rechub.models.multi_task.aitm import AITM  # noqa: E402
from torch_rechub.models.multi_task.esmm import ESMM  # noqa: E402

EPSILON = 1e-7  # the lab's PROBABILITY_EPSILON: the floor of pCTR when a joint is divided by it


def auc(labels, scores):
    """Mann–Whitney AUC with tie-averaged ranks (what sklearn's roc_auc_score and the lab's auc() compute)."""
    labels = labels > 0.5
    positives = int(labels.sum())
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        return float("nan")
    _, inverse, counts = np.unique(scores, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    average_rank = (ends - counts + 1 + ends) / 2.0
    ranks = average_rank[inverse]
    return float((ranks[labels].sum() - positives * (positives + 1) / 2.0) / (positives * negatives))


def load(directory):
    """The encoded rows by part, as torch-rechub's input dict {feature name: tensor} and the three labels."""
    with open(os.path.join(directory, "schema.json")) as file:
        schema = json.load(file)
    path = os.path.join(directory, "encoded.csv")
    with open(path) as file:
        header = file.readline().strip().split(",")
    table = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64)
    column = {name: i for i, name in enumerate(header)}
    parts = {}
    for code, part in enumerate(schema["parts"]):
        rows = table[table[:, column["part"]] == code]
        x = {f["name"]: torch.from_numpy(rows[:, column[f["name"]]].astype(np.int64)) for f in schema["categorical"]}
        for f in schema["multiHot"]:
            slots = rows[:, [column[f"{f['name']}_{s + 1}"] for s in range(f["maxLength"])]].astype(np.int64)
            # The lab pads a bag with -1; an nn.Embedding cannot look that up, so padding gets its own id one past
            # the vocabulary, which the SequenceFeature's padding_idx masks out of the mean.
            slots[slots < 0] = f["vocabSize"]
            x[f["name"]] = torch.from_numpy(slots)
        labels = {name: rows[:, column[name]].astype(np.float32) for name in ("click", "action", "purchase")}
        parts[part] = (x, labels, len(rows))
    return schema, parts


def features(schema, embed_dim, init_std=None):
    """One SparseFeature per categorical field and a mean-pooled SequenceFeature per bag, as the lab embeds them.
    `init_std` replaces torch-rechub's default embedding initializer (N(0, 1e-4)) through its own argument; it is
    only used by the investigation runs."""
    if schema["dense"]:
        # ESMM's forward keeps only embedded features (squeeze_dim=False drops dense values), so a dense column
        # would reach one side only; export the data without dense roles instead.
        raise SystemExit("the peer takes categorical and multi-hot fields only: import the dense columns as ignored")
    extra = {}
    if init_std is not None:
        from torch_rechub.basic.initializers import RandomNormal

        extra["initializer"] = RandomNormal(0, init_std)
    sparse = [SparseFeature(f["name"], f["vocabSize"], embed_dim=embed_dim, **extra) for f in schema["categorical"]]
    bags = [
        SequenceFeature(
            f["name"], f["vocabSize"] + 1, embed_dim=embed_dim, pooling="mean", padding_idx=f["vocabSize"], **extra
        )
        for f in schema["multiHot"]
    ]
    return sparse, bags


def targets(model, labels):
    """torch-rechub's label columns, in the order its models output them."""
    click, action, purchase = labels["click"], labels["action"], labels["purchase"]
    if model == "esmm":
        # As its Ali-CCP example: task 0 'cvr_label' is the purchase label on every exposure (0 where not clicked).
        return np.stack([purchase, click, click * purchase], axis=1)
    return np.stack([click, click * action, click * purchase], axis=1)  # AITM's tasks, in funnel order


def build(model, schema, args):
    sparse, bags = features(schema, args.embedding_dim, args.embed_init_std)
    hidden = [int(h) for h in args.hidden.split(",")]
    if model == "esmm":
        # ESMM only concatenates its user and item lists; which field goes in which list changes nothing.
        item_fields = {"item_id", "category_id"}
        user = [f for f in sparse if f.name not in item_fields] + bags
        item = [f for f in sparse if f.name in item_fields]
        return ESMM(user, item, cvr_params={"dims": hidden}, ctr_params={"dims": hidden})
    return AITM(sparse + bags, n_task=3, bottom_params={"dims": hidden}, tower_params_list=[{"dims": []}] * 3)


def without_batch_norm(module):
    """Investigation only: every BatchNorm1d of torch-rechub's MLPs replaced by an identity, to measure what
    BatchNorm alone changes. The default runs never call this."""
    for name, child in module.named_children():
        if isinstance(child, torch.nn.BatchNorm1d):
            setattr(module, name, torch.nn.Identity())
        else:
            without_batch_norm(child)
    return module


def adam(net, args):
    """MTLTrainer's optimiser: one torch Adam over every parameter, embedding tables included, so a table row that
    a batch does not touch still moves on its stale moments. With --lazy-embedding-adam (investigation only) the
    tables take sparse gradients and torch's SparseAdam, which updates only the rows a batch touched: the lab's
    lazy Adam."""
    if not args.lazy_embedding_adam:
        return [torch.optim.Adam(net.parameters(), lr=args.lr, weight_decay=args.weight_decay)]
    tables = [m for m in net.modules() if isinstance(m, torch.nn.Embedding)]
    for table in tables:
        table.sparse = True
    table_ids = {id(t.weight) for t in tables}
    rest = [p for p in net.parameters() if id(p) not in table_ids]
    return [
        torch.optim.SparseAdam([t.weight for t in tables], lr=args.lr),
        torch.optim.Adam(rest, lr=args.lr, weight_decay=args.weight_decay),
    ]


def start_at_rates(model, net, labels):
    """Investigation only: each tower's output bias set to the logit of its stage's rate in the training rows, as
    the lab's default `--output-bias base-rate` does (torch-rechub keeps nn.Linear's random bias)."""
    click, action, purchase = labels["click"], labels["action"], labels["purchase"]
    if model == "esmm":
        towers = {net.tower_ctr: click.mean(), net.tower_cvr: (click * purchase).sum() / click.sum()}
    else:
        towers = dict(zip(net.towers, [click.mean(), (click * action).mean(), (click * purchase).mean()]))
    with torch.no_grad():
        for tower, rate in towers.items():
            rate = min(max(float(rate), 1e-4), 1 - 1e-4)
            tower.mlp[-1].bias.fill_(np.log(rate / (1 - rate)))


def step_loss(model, predictions, y):
    """What torch-rechub's MTLTrainer minimises: ESMM sums its CTR and CTCVR BCEs; AITM averages its tasks."""
    bce = torch.nn.BCELoss()
    losses = [bce(predictions[:, i], y[:, i]) for i in range(y.shape[1])]
    return sum(losses[1:]) if model == "esmm" else sum(losses) / len(losses)


def predict(net, x, rows, batch_size=8192):
    net.eval()
    with torch.no_grad():
        chunks = [net({k: v[i:i + batch_size] for k, v in x.items()}) for i in range(0, rows, batch_size)]
    return torch.cat(chunks).numpy().astype(np.float64)


def stages(model, out):
    """The stage probabilities the lab scores. ESMM outputs [pCVR, pCTR, pCTCVR]. AITM outputs the three joints
    [pCTR, P(c,a), P(c,b)] and no pCVR: pCVR and pAVR are the joints over pCTR, capped at 1, the lab's `givenClick`."""
    if model == "esmm":
        return {"ctr": out[:, 1], "cvr": out[:, 0], "ctcvr": out[:, 2]}
    ctr = out[:, 0]
    floor = np.maximum(ctr, EPSILON)
    return {
        "ctr": ctr,
        "avr": np.minimum(out[:, 1] / floor, 1),
        "ctavr": out[:, 1],
        "cvr": np.minimum(out[:, 2] / floor, 1),
        "ctcvr": out[:, 2],
    }


def metrics(model, out, labels):
    """The lab's protocol: CTR, CTAVR and CTCVR AUC on every exposure, CVR and AVR AUC on clicked rows only; and,
    apart, torch-rechub's MTLTrainer's task-0 score for ESMM: pCVR against the purchase label on every row."""
    p = stages(model, out)
    click, action, purchase = labels["click"], labels["action"], labels["purchase"]
    clicked = click > 0.5
    result = {
        "ctr_auc": auc(click, p["ctr"]),
        "cvr_auc": auc(purchase[clicked], p["cvr"][clicked]),
        "ctcvr_auc": auc(click * purchase, p["ctcvr"]),
    }
    if "ctavr" in p:
        result["avr_auc"] = auc(action[clicked], p["avr"][clicked])
        result["ctavr_auc"] = auc(click * action, p["ctavr"])
        # The lab's AITM serves its joints as pCTR × the capped conditional; the same rule on these outputs:
        result["ctcvr_auc_capped"] = auc(click * purchase, p["ctr"] * p["cvr"])
        result["ctavr_auc_capped"] = auc(click * action, p["ctr"] * p["avr"])
    result["cvr_auc_all_rows"] = auc(purchase, p["cvr"])
    return result


def train(model, schema, parts, seed, args):
    torch.manual_seed(seed)
    net = build(model, schema, args)
    if args.no_batch_norm:
        without_batch_norm(net)
    x, labels, rows = parts["train"]
    if args.output_bias_base_rate:
        start_at_rates(model, net, labels)
    optimizers = adam(net, args)
    y = torch.from_numpy(targets(model, labels))
    vx, vlabels, vrows = parts["validation"]
    vy = torch.from_numpy(targets(model, vlabels))
    shuffle = torch.Generator().manual_seed(seed)
    best, history = None, []
    for epoch in range(1, args.epochs + 1):
        net.train()
        order = torch.randperm(rows, generator=shuffle)
        total, steps = 0.0, 0
        for start in range(0, rows, args.batch_size):
            index = order[start:start + args.batch_size]
            loss = step_loss(model, net({k: v[index] for k, v in x.items()}), y[index])
            for optimizer in optimizers:
                optimizer.zero_grad()
            loss.backward()
            for optimizer in optimizers:
                optimizer.step()
            total, steps = total + loss.item(), steps + 1
        validation_loss = float(step_loss(model, torch.from_numpy(predict(net, vx, vrows)).float(), vy))
        history.append({"epoch": epoch, "trainLoss": total / steps, "validationLoss": validation_loss})
        if best is None or validation_loss < best[0]:
            best = (validation_loss, epoch, copy.deepcopy(net.state_dict()))
    tx, tlabels, trows = parts["test"]
    final = metrics(model, predict(net, tx, trows), tlabels)  # kept apart: torch-rechub's trainer ends here
    net.load_state_dict(best[2])
    selected = metrics(model, predict(net, tx, trows), tlabels)
    parameters = sum(p.numel() for p in net.parameters())
    return {
        "bestEpoch": best[1],
        "epochs": history,
        "test": selected,
        "testFinalEpoch": final,
        "parameters": parameters,
    }


def source():
    """Which torch_rechub this run imported: an installed distribution's version, else the source tree's path."""
    try:
        from importlib.metadata import version

        installed = version("torch-rechub")
    except Exception:
        installed = None
    path = os.path.dirname(torch_rechub.__file__)
    return {"path": path, "installedVersion": installed, "placeholdersFor": PLACEHOLDERS}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="folder with encoded.csv and schema.json (export.ts)")
    parser.add_argument("--model", required=True, choices=["esmm", "aitm"])
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument("--lr", type=float, default=0.001)
    parser.add_argument("--weight-decay", type=float, default=0.0)
    parser.add_argument("--embedding-dim", type=int, default=8)
    parser.add_argument("--hidden", default="64,32")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1, as the lab trains here)")
    # Investigation only: each turns one of torch-rechub's training choices into the lab's.
    parser.add_argument("--no-batch-norm", action="store_true", help="BatchNorm1d layers replaced by identities")
    parser.add_argument("--lazy-embedding-adam", action="store_true", help="SparseAdam on the embedding tables")
    parser.add_argument("--embed-init-std", type=float, default=None, help="embedding init std (theirs: 1e-4)")
    parser.add_argument("--output-bias-base-rate", action="store_true", help="output biases at each stage's rate")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    schema, parts = load(args.data)
    runs = []
    for seed in [int(s) for s in args.seeds.split(",")]:
        started = time.time()
        run = {"model": args.model, "seed": seed, **train(args.model, schema, parts, seed, args)}
        run["seconds"] = time.time() - started
        scores = ", ".join(f"{k} {v:.4f}" for k, v in run["test"].items())
        print(f"theirs {args.model} seed {seed}: best epoch {run['bestEpoch']}, {scores}", file=sys.stderr)
        runs.append(run)
    settings = {k: v for k, v in vars(args).items() if k not in ("data", "out")}
    result = {"side": "torch-rechub", "source": source(), "torch": torch.__version__, "settings": settings}
    result["runs"] = runs
    with open(args.out, "w") as file:
        json.dump(result, file, indent=2)


if __name__ == "__main__":
    main()
