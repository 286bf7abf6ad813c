"""PyTorch reference for the entire-space models of ESMC Lab (naive, esmm, chain, esm2, esmc, esms, esmg, aitm,
escm2-ips, escm2-dr, dcmt).

Written from the formulas in ../shared/docs/models-reference.md (§2 ESMM, §3 ESM², §4 PSC / chained, §5 ESMC,
ESMS, ESMG) and the documented semantics of the TypeScript engine, not translated from its code. Only the
parameter *names* and *layouts* are shared with the engine, since the parity fixtures move weights across:

    "embedding"                  one fused table [Σ vocab, dim]: the categorical fields' blocks, then the
                                 multi-hot fields' blocks, in schema order
    "<tower>.<i>.kernel|bias"    hidden layer i of a tower, kernel [in, out] (x @ W + b, not nn.Linear's [out, in])
    "<tower>.out.kernel|bias"    the output layer (one logit)

Towers: ctr, cvr, act (P(a|c)), buy_a (P(b|a,c)), buy_na (P(b|¬a,c)). ESMS's cvr tower has only "cvr.out.*":
its hidden layers are act's. AITM: towers ctr, act, buy and the transfers "ait_act.*" / "ait_buy.*" (info layer
"<ait>.info.kernel|bias", projections "<ait>.q|k|v.kernel", no bias). ESCM²-DR: "imp" (the imputed loss, a raw
output). DCMT: "cf" (the counterfactual CVR).

§6 (AITM), §7 (ESCM²) and the DCMT paper (Zhu et al., ICDE 2023) give the formulas; the choices the sources leave
open (capped inverse propensity, its normalisation, DR's raw imputation output) are the ones docs/models.md names.

Run in float32 (torch 1.13, Debian's python3-torch, and 2.x). bench/reference/make_parity_fixtures.py writes the
parity fixtures from it; esmc_torch.train trains it with DistributedDataParallel on a dataset the lab exported.
Dropout (config.tower.dropout) acts after each hidden layer in training mode only, as the engine's.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

# Probabilities are clipped before the log so that products of towers never give log(0).
EPSILON = 1e-7

ACTIVATIONS = {
    "relu": torch.relu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "elu": nn.functional.elu,
    "linear": lambda x: x,
}


# ---------------------------------------------------------------------------------------------------------------
# Shared layers
# ---------------------------------------------------------------------------------------------------------------


class FeatureEmbedding(nn.Module):
    """h = [e(cat_1) … e(cat_F) | pool(bag_1) … pool(bag_M) | dense], one table for every field."""

    def __init__(self, schema: dict, dim: int):
        super().__init__()
        self.schema = schema
        self.dim = dim
        vocab = [f["vocabSize"] for f in schema["categorical"]] + [f["vocabSize"] for f in schema["multiHot"]]
        starts = [sum(vocab[:i]) for i in range(len(vocab))]
        n_cat = len(schema["categorical"])
        self.register_buffer("cat_offsets", torch.tensor(starts[:n_cat], dtype=torch.long), persistent=False)
        self.bag_offsets = starts[n_cat:]
        self.table = nn.Parameter(torch.empty(sum(vocab), dim))
        self.width = len(vocab) * dim + len(schema["dense"])

    def forward(self, categorical: Tensor, multi_hot: list[Tensor], dense: Tensor) -> Tensor:
        """categorical [n, F] ids; multi_hot: per field [n, L] ids with -1 = padding; dense [n, D]."""
        n = categorical.shape[0]
        parts = [self.table[categorical + self.cat_offsets].reshape(n, -1)]
        for field, ids, offset in zip(self.schema["multiHot"], multi_hot, self.bag_offsets):
            present = (ids >= 0).to(self.table.dtype)  # [n, L]
            vectors = self.table[ids.clamp(min=0) + offset]  # padded slots read a row, then get weight 0
            pooled = (vectors * present.unsqueeze(-1)).sum(dim=1)
            if field["pooling"] == "mean":
                pooled = pooled / present.sum(dim=1, keepdim=True).clamp(min=1.0)
            parts.append(pooled)
        parts.append(dense)
        return torch.cat(parts, dim=1)


class Dense(nn.Module):
    """x @ kernel + bias, the kernel stored [in, out] like the TS engine's."""

    def __init__(self, fan_in: int, fan_out: int):
        super().__init__()
        self.kernel = nn.Parameter(torch.empty(fan_in, fan_out))
        self.bias = nn.Parameter(torch.empty(fan_out))

    def forward(self, x: Tensor) -> Tensor:
        return x @ self.kernel + self.bias


class Trunk(nn.Module):
    """The hidden layers of a tower: dropout(activation(dense)) for each width, dropout in training only."""

    def __init__(self, in_width: int, hidden: list[int], activation: str, dropout: float = 0.0):
        super().__init__()
        widths = [in_width, *hidden]
        self.layers = nn.ModuleList(Dense(a, b) for a, b in zip(widths[:-1], widths[1:]))
        self.activation = ACTIVATIONS[activation]
        self.dropout = dropout
        self.out_width = widths[-1]

    def forward(self, x: Tensor) -> Tensor:
        for layer in self.layers:
            x = self.activation(layer(x))
            if self.training and self.dropout > 0:
                x = nn.functional.dropout(x, self.dropout, training=True)
        return x


class Tower(nn.Module):
    """An MLP h → logit → probability. Give `trunk` to share hidden layers with another tower (ESMS)."""

    def __init__(self, in_width: int, tower: dict, trunk: Trunk | None = None):
        super().__init__()
        self.owns_trunk = trunk is None
        if trunk is None:
            trunk = Trunk(in_width, tower["hidden"], tower["activation"], tower.get("dropout", 0))
        self.trunk = trunk
        self.out = Dense(self.trunk.out_width, 1)

    def forward(self, h: Tensor) -> Tensor:
        return torch.sigmoid(self.logit(h))

    def logit(self, h: Tensor) -> Tensor:
        return self.head(self.trunk(h))

    def head(self, representation: Tensor) -> Tensor:
        return self.out(representation).reshape(-1)

    def tied_layers(self, which: str) -> list[Dense]:
        """What a parameter constraint compares: the hidden layers, or every layer ("all")."""
        return [*self.trunk.layers, self.out] if which == "all" else list(self.trunk.layers)

    def named_weights(self, name: str) -> dict[str, nn.Parameter]:
        out = {}
        if self.owns_trunk:
            for i, layer in enumerate(self.trunk.layers):
                out[f"{name}.{i}.kernel"], out[f"{name}.{i}.bias"] = layer.kernel, layer.bias
        out[f"{name}.out.kernel"], out[f"{name}.out.bias"] = self.out.kernel, self.out.bias
        return out


def bce(label: Tensor, p: Tensor) -> Tensor:
    """Per-row binary cross-entropy on probabilities clipped to [ε, 1 − ε]."""
    p = p.clamp(EPSILON, 1.0 - EPSILON)
    return -(label * torch.log(p) + (1.0 - label) * torch.log(1.0 - p))


def mean_bce(label: Tensor, p: Tensor) -> Tensor:
    return bce(label, p).mean()


def masked_mean_bce(label: Tensor, p: Tensor, mask: Tensor) -> Tensor:
    """Mean BCE over the rows where mask = 1; 0 when there are none."""
    return (bce(label, p) * mask).sum() / mask.sum().clamp(min=1.0)


def inverse_propensity(observed: Tensor, propensity: Tensor, max_weight: float) -> Tensor:
    """observed / propensity with the propensity floored at 1 / max_weight, detached: the IPS term trains no CTR."""
    return (observed / propensity.clamp(min=1.0 / max_weight)).detach()


def weighted_risk(row_loss: Tensor, weight: Tensor, normalise: str) -> Tensor:
    """Σ w·loss over the batch's rows ("exposures") or over Σ w ("self")."""
    total = (row_loss * weight).sum()
    return total / row_loss.shape[0] if normalise == "exposures" else total / weight.sum().clamp(min=1e-12)


def tower_distance(anchor: Tower, pulled: Tower, constraint: dict) -> Tensor:
    """Σ over tied layers of ‖θ_anchor − θ_pulled‖² or 1 − cos(θ_anchor, θ_pulled), θ = (kernel, bias).

    With gradient "cvr-only" the anchor (action tower) is a constant: only the pulled (purchase) tower moves.
    """
    total = torch.zeros(())
    for a, b in zip(anchor.tied_layers(constraint["layers"]), pulled.tied_layers(constraint["layers"])):
        a_kernel, a_bias = a.kernel, a.bias
        if constraint["gradient"] == "cvr-only":
            a_kernel, a_bias = a_kernel.detach(), a_bias.detach()
        if constraint["distance"] == "l2":
            total = total + ((a_kernel - b.kernel) ** 2).sum() + ((a_bias - b.bias) ** 2).sum()
        else:
            u = torch.cat([a_kernel.reshape(-1), a_bias])
            v = torch.cat([b.kernel.reshape(-1), b.bias])
            cosine = (u * v).sum() / (u.norm() * v.norm()).clamp(min=1e-12)
            total = total + (1.0 - cosine)
    return total


# ---------------------------------------------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------------------------------------------


class EntireSpaceModel(nn.Module):
    """Shared bottom + named towers. A model says how the towers compose (`stages`) and what supervises them
    (`loss_terms`, unweighted). `served` is what predict() returns; the loss sees the supervised stages."""

    tower_names: tuple[str, ...] = ()
    # A term's weight when the config does not set it (AITM's calibrator, DCMT's twin constraint).
    default_loss_weights: dict[str, float] = {}

    def __init__(self, schema: dict, config: dict):
        super().__init__()
        self.config = config
        self.embedding = FeatureEmbedding(schema, config["embeddingDim"])
        self.towers = nn.ModuleDict({name: Tower(self.embedding.width, config["tower"]) for name in self.tower_names})

    def stages(self, h: Tensor) -> dict[str, Tensor]:
        raise NotImplementedError

    def loss_terms(self, p: dict[str, Tensor], y: dict[str, Tensor]) -> dict[str, Tensor]:
        raise NotImplementedError

    def served(self, p: dict[str, Tensor]) -> dict[str, Tensor]:
        return p

    def predict(self, batch: dict) -> dict[str, Tensor]:
        stages = self.stages(self.embedding(**batch))
        return self.served({k: v for k, v in stages.items() if not k.startswith("_")})

    def loss(self, batch: dict, y: dict[str, Tensor]) -> tuple[Tensor, dict[str, Tensor]]:
        terms = self.loss_terms(self.stages(self.embedding(**batch)), y)
        weights = {**self.default_loss_weights, **self.config["lossWeights"]}
        total = sum(weights.get(name, 1.0) * term for name, term in terms.items())
        return total, terms

    def named_weights(self) -> dict[str, nn.Parameter]:
        """Every trainable tensor under its TS engine name."""
        out = {"embedding": self.embedding.table}
        for name, tower in self.towers.items():
            out.update(tower.named_weights(name))
        return out


class Naive(EntireSpaceModel):
    """Baseline: pCVR trained on clicked rows only. L = BCE(c, pCTR) + mean over c=1 of BCE(b, pCVR)."""

    tower_names = ("ctr", "cvr")

    def stages(self, h):
        ctr, cvr = self.towers["ctr"](h), self.towers["cvr"](h)
        return {"ctr": ctr, "cvr": cvr, "ctcvr": ctr * cvr}

    def loss_terms(self, p, y):
        return {"ctr": mean_bce(y["click"], p["ctr"]), "cvr": masked_mean_bce(y["purchase"], p["cvr"], y["click"])}


class Esmm(EntireSpaceModel):
    """ESMM (Ma et al., SIGIR 2018): pCTCVR = pCTR·pCVR. L = BCE(c, pCTR) + BCE(c·b, pCTCVR) on all exposures."""

    tower_names = ("ctr", "cvr")

    def stages(self, h):
        ctr, cvr = self.towers["ctr"](h), self.towers["cvr"](h)
        return {"ctr": ctr, "cvr": cvr, "ctcvr": ctr * cvr}

    def loss_terms(self, p, y):
        return {
            "ctr": mean_bce(y["click"], p["ctr"]),
            "ctcvr": mean_bce(y["click"] * y["purchase"], p["ctcvr"]),
        }


def action_path_terms(p: dict[str, Tensor], y: dict[str, Tensor]) -> dict[str, Tensor]:
    """The three exposure-space terms of every action-aware model: c ~ pCTR, c·a ~ pCTAVR, c·b ~ pCTCVR."""
    return {
        "ctr": mean_bce(y["click"], p["ctr"]),
        "ctavr": mean_bce(y["click"] * y["action"], p["ctavr"]),
        "ctcvr": mean_bce(y["click"] * y["purchase"], p["ctcvr"]),
    }


class Chain(EntireSpaceModel):
    """The PSC ablation (§4, §5.3): the action is a mandatory step, P(b|¬a,c) = 0.
    pCVR = pAVR·P(b|a,c); pCTAVR = pCTR·pAVR; pCTCVR = pCTR·pAVR·P(b|a,c)."""

    tower_names = ("ctr", "act", "buy_a")

    def stages(self, h):
        ctr, avr, buy_a = (self.towers[t](h) for t in self.tower_names)
        cvr = avr * buy_a
        return {
            "ctr": ctr,
            "avr": avr,
            "ctavr": ctr * avr,
            "cvr": cvr,
            "ctcvr": ctr * cvr,
            "buyGivenAction": buy_a,
            "buyGivenNoAction": torch.zeros_like(ctr),
        }

    def loss_terms(self, p, y):
        return action_path_terms(p, y)


class Esm2(EntireSpaceModel):
    """ESM² (Wen et al., SIGIR 2020), §3: y1..y4 = ctr, P(a|c), P(b|a,c), P(b|¬a,c);
    pCVR = y2·y3 + (1 − y2)·y4; pCTAVR = y1·y2; pCTCVR = y1·pCVR."""

    tower_names = ("ctr", "act", "buy_a", "buy_na")

    def stages(self, h):
        y1, y2, y3, y4 = (self.towers[t](h) for t in self.tower_names)
        cvr = y2 * y3 + (1.0 - y2) * y4
        return {
            "ctr": y1,
            "avr": y2,
            "ctavr": y1 * y2,
            "cvr": cvr,
            "ctcvr": y1 * cvr,
            "buyGivenAction": y3,
            "buyGivenNoAction": y4,
        }

    def loss_terms(self, p, y):
        return action_path_terms(p, y)


class Esmc(EntireSpaceModel):
    """ESMC (Jiang et al., arXiv 2307.09193), reconstruction §5.2: pCTAVR = pCTR·pAVR, pCTCVR = pCTR·pCVR,
    and L += λ·distance(T_act, T_cvr)."""

    tower_names = ("ctr", "act", "cvr")

    def stages(self, h):
        ctr, avr, cvr = (self.towers[t](h) for t in self.tower_names)
        return {"ctr": ctr, "avr": avr, "ctavr": ctr * avr, "cvr": cvr, "ctcvr": ctr * cvr}

    def loss_terms(self, p, y):
        constraint = self.config["constraint"]
        penalty = constraint["lambda"] * tower_distance(self.towers["act"], self.towers["cvr"], constraint)
        return {**action_path_terms(p, y), "constraint": penalty}


class Esms(EntireSpaceModel):
    """ESMS, the siamese variant (§5.3): T_act and T_cvr share every hidden layer, each keeps its own head.
    (With dropout each head's pass through the shared trunk draws its own mask; the engine draws one for both.)"""

    tower_names = ("ctr", "act")

    def __init__(self, schema, config):
        super().__init__(schema, config)
        self.towers["cvr"] = Tower(self.embedding.width, config["tower"], trunk=self.towers["act"].trunk)

    def stages(self, h):
        ctr, avr, cvr = self.towers["ctr"](h), self.towers["act"](h), self.towers["cvr"](h)
        return {"ctr": ctr, "avr": avr, "ctavr": ctr * avr, "cvr": cvr, "ctcvr": ctr * cvr}

    def loss_terms(self, p, y):
        return action_path_terms(p, y)


def joint_stages(ctr: Tensor, q_a: Tensor, q_b: Tensor) -> dict[str, Tensor]:
    """Stages of a model whose towers estimate the joints q_a ≈ P(c,a), q_b ≈ P(c,b) (esmg, aitm): the conditionals
    by division, capped at 1; the joints raw, as the loss sees them."""
    safe_ctr = ctr.clamp(min=EPSILON)
    return {
        "ctr": ctr,
        "avr": (q_a / safe_ctr).clamp(max=1.0),
        "ctavr": q_a,
        "cvr": (q_b / safe_ctr).clamp(max=1.0),
        "ctcvr": q_b,
    }


def joints_within_clicks(p: dict[str, Tensor]) -> dict[str, Tensor]:
    """What such a model serves: each joint re-formed as pCTR × its capped conditional, never above pCTR."""
    return {**p, "ctavr": p["ctr"] * p["avr"], "ctcvr": p["ctr"] * p["cvr"]}


class Esmg(EntireSpaceModel):
    """ESMG, the global-domain variant (§5.3): T_act and T_cvr predict q_a ≈ P(c,a|x) and q_b ≈ P(c,b|x) directly
    and are supervised raw; the constraint ties them. Served: pAVR = min(q_a / pCTR, 1), pCVR = min(q_b / pCTR, 1),
    pCTAVR = pCTR·pAVR, pCTCVR = pCTR·pCVR (so the served joint never exceeds pCTR)."""

    tower_names = ("ctr", "act", "cvr")

    def stages(self, h):
        ctr, q_a, q_b = (self.towers[t](h) for t in self.tower_names)
        return joint_stages(ctr, q_a, q_b)

    def loss_terms(self, p, y):
        constraint = self.config["constraint"]
        penalty = constraint["lambda"] * tower_distance(self.towers["act"], self.towers["cvr"], constraint)
        return {**action_path_terms(p, y), "constraint": penalty}

    def served(self, p):
        return joints_within_clicks(p)


class InformationTransfer(nn.Module):
    """AITM's AIT (§6): info = relu(previous @ W_info + b); attention over {own, info} with score (x W_q)·(x W_k)/√d
    per item, softmax over the two, output Σ a·(x W_v). Projections have no bias."""

    def __init__(self, width: int):
        super().__init__()
        self.width = width
        self.info = Dense(width, width)
        self.q, self.k, self.v = (nn.Parameter(torch.empty(width, width)) for _ in range(3))

    def forward(self, own: Tensor, previous: Tensor) -> Tensor:
        items = torch.stack([own, torch.relu(self.info(previous))], dim=1)  # [n, 2, d]
        scores = ((items @ self.q) * (items @ self.k)).sum(-1) / self.width**0.5  # [n, 2]
        attention = torch.softmax(scores, dim=1)
        return (attention.unsqueeze(-1) * (items @ self.v)).sum(dim=1)

    def named_weights(self, name: str) -> dict[str, nn.Parameter]:
        return {
            f"{name}.info.kernel": self.info.kernel,
            f"{name}.info.bias": self.info.bias,
            f"{name}.q.kernel": self.q,
            f"{name}.k.kernel": self.k,
            f"{name}.v.kernel": self.v,
        }


class Aitm(EntireSpaceModel):
    """AITM (Xi et al., KDD 2021), §6, on click → action → purchase: each task's tower trunk, then AIT from the
    previous task's (transferred) representation, then its head. q_a ≈ P(c,a), q_b ≈ P(c,b) are supervised raw;
    served as esmg's: pAVR = min(q_a/pCTR, 1), pCVR = min(q_b/pCTR, 1), joints = pCTR × those.
    Calibrator: mean relu(q_a − pCTR) + mean relu(q_b − q_a), weight 0.6 (a mean, as the official code)."""

    tower_names = ("ctr", "act", "buy")
    default_loss_weights = {"calibrator": 0.6}

    def __init__(self, schema, config):
        super().__init__(schema, config)
        width = self.towers["ctr"].trunk.out_width
        self.transfers = nn.ModuleDict({"ait_act": InformationTransfer(width), "ait_buy": InformationTransfer(width)})

    def stages(self, h):
        ctr_t, act_t, buy_t = (self.towers[t] for t in self.tower_names)
        click = ctr_t.trunk(h)
        action = self.transfers["ait_act"](act_t.trunk(h), click)
        purchase = self.transfers["ait_buy"](buy_t.trunk(h), action)
        ctr, q_a, q_b = torch.sigmoid(ctr_t.head(click)), torch.sigmoid(act_t.head(action)), torch.sigmoid(buy_t.head(purchase))
        return joint_stages(ctr, q_a, q_b)

    def loss_terms(self, p, y):
        calibrator = torch.relu(p["ctavr"] - p["ctr"]).mean() + torch.relu(p["ctcvr"] - p["ctavr"]).mean()
        return {**action_path_terms(p, y), "calibrator": calibrator}

    def served(self, p):
        return joints_within_clicks(p)

    def named_weights(self):
        out = super().named_weights()
        for name, transfer in self.transfers.items():
            out.update(transfer.named_weights(name))
        return out


def counterfactual(config: dict) -> tuple[float, str]:
    c = config["counterfactual"]
    return c["maxWeight"], c["normalise"]


class Escm2Ips(EntireSpaceModel):
    """ESCM²-IPS (Wang et al., SIGIR 2022), §7: ESMM's towers; L = BCE(c, pCTR) + R_IPS + BCE(c·b, pCTCVR),
    R_IPS = weighted_risk(BCE(b, pCVR), c / clip(pCTR) detached)."""

    tower_names = ("ctr", "cvr")

    def stages(self, h):
        ctr, cvr = self.towers["ctr"](h), self.towers["cvr"](h)
        return {"ctr": ctr, "cvr": cvr, "ctcvr": ctr * cvr}

    def loss_terms(self, p, y):
        max_weight, normalise = counterfactual(self.config)
        weight = inverse_propensity(y["click"], p["ctr"], max_weight)
        return {
            "ctr": mean_bce(y["click"], p["ctr"]),
            "cvr": weighted_risk(bce(y["purchase"], p["cvr"]), weight, normalise),
            "ctcvr": mean_bce(y["click"] * y["purchase"], p["ctcvr"]),
        }


class Escm2Dr(EntireSpaceModel):
    """ESCM²-DR, §7: ê = the imp tower's raw output; e = BCE(b, pCVR) on every row;
    R_DR = mean ê + weighted_risk(e − ê, w); imputation = weighted_risk((e − ê)², w); w = c / clip(pCTR) detached."""

    tower_names = ("ctr", "cvr", "imp")

    def stages(self, h):
        ctr, cvr = self.towers["ctr"](h), self.towers["cvr"](h)
        return {"ctr": ctr, "cvr": cvr, "ctcvr": ctr * cvr, "_imputed": self.towers["imp"].logit(h)}

    def loss_terms(self, p, y):
        max_weight, normalise = counterfactual(self.config)
        weight = inverse_propensity(y["click"], p["ctr"], max_weight)
        error = bce(y["purchase"], p["cvr"]) - p["_imputed"]
        return {
            "ctr": mean_bce(y["click"], p["ctr"]),
            "cvr": p["_imputed"].mean() + weighted_risk(error, weight, normalise),
            "imputation": weighted_risk(error**2, weight, normalise),
            "ctcvr": mean_bce(y["click"] * y["purchase"], p["ctcvr"]),
        }


class Dcmt(EntireSpaceModel):
    """DCMT (Zhu et al., ICDE 2023): factual CVR on clicked rows weighted c / clip(pCTR); counterfactual r* on
    unclicked rows with label 1 − b weighted (1 − c) / clip(1 − pCTR); twin = mean |pCVR + r* − 1| (weight 0.001)."""

    tower_names = ("ctr", "cvr", "cf")
    default_loss_weights = {"twin": 0.001}

    def stages(self, h):
        ctr, cvr = self.towers["ctr"](h), self.towers["cvr"](h)
        return {"ctr": ctr, "cvr": cvr, "ctcvr": ctr * cvr, "_counterfactual": self.towers["cf"](h)}

    def loss_terms(self, p, y):
        max_weight, normalise = counterfactual(self.config)
        twin = p["_counterfactual"]
        return {
            "ctr": mean_bce(y["click"], p["ctr"]),
            "cvr": weighted_risk(
                bce(y["purchase"], p["cvr"]), inverse_propensity(y["click"], p["ctr"], max_weight), normalise
            ),
            "counterfactual": weighted_risk(
                bce(1.0 - y["purchase"], twin),
                inverse_propensity(1.0 - y["click"], 1.0 - p["ctr"], max_weight),
                normalise,
            ),
            "twin": (p["cvr"] + twin - 1.0).abs().mean(),
            "ctcvr": mean_bce(y["click"] * y["purchase"], p["ctcvr"]),
        }


MODELS: dict[str, type[EntireSpaceModel]] = {
    "naive": Naive,
    "esmm": Esmm,
    "chain": Chain,
    "esm2": Esm2,
    "esmc": Esmc,
    "esms": Esms,
    "esmg": Esmg,
    "aitm": Aitm,
    "escm2-ips": Escm2Ips,
    "escm2-dr": Escm2Dr,
    "dcmt": Dcmt,
}


def create_model(name: str, schema: dict, config: dict) -> EntireSpaceModel:
    if name not in MODELS:
        raise ValueError(f'Unknown model "{name}"; choose one of {", ".join(MODELS)}')
    return MODELS[name](schema, config)
