import { MAX_MULTI_HOT_LENGTH } from '../data/encode.js';
import type { SimulatorPreset } from '../../../src-shared/types/data.js';

/**
 * The knobs of the ground-truth funnel simulator. Every probability is a sigmoid of a base rate's logit plus
 * per-value random effects, so the true P(click), P(action|click), P(buy|click, action) and
 * P(buy|click, no action) of every row are known.
 */
export interface SimulatorConfig {
  rows: number;
  users: number;
  items: number;
  seed: number;
  /** Categorical context of the exposure (e.g. position, hour, device); values 1..cardinality. */
  contextFields: { name: string; cardinality: number }[];
  /** Per-user bags (e.g. interest tags), 1..maxLength distinct values of 1..cardinality each. */
  multiHotFields: { name: string; cardinality: number; maxLength: number }[];
  /** Standard-normal dense features d0..d{k-1}. */
  denseFeatures: number;
  /** The probabilities when all effects are 0. */
  baseRates: { ctr: number; avr: number; buyGivenAction: number };
  /** Std of the per-value random effects (user, item, category, each field value, each dense weight), logit scale. */
  effectStrength: number;
  /** Std of the pairwise interaction effects (user group × item category, first × second context field). */
  interactionStrength: number;
  /** In [-1, 1]: correlation of every value's click effect with its purchase effects (sample selection bias). */
  clickPurchaseCorrelation: number;
  /**
   * In [-1, 1]: correlation of every value's in-shop-action effect with its purchase-after-action effect (what
   * makes people add to cart also makes them buy). 0 when absent, as in configs written before it existed.
   */
  actionPurchaseCorrelation?: number;
  /** In [0, 0.95]: the expected share of click→buy that happens without an in-shop action. */
  pscShare: number;
}

export type { SimulatorPreset };

const SHAPE = {
  rows: 100_000,
  users: 2_000,
  items: 5_000,
  seed: 1,
  contextFields: [
    { name: 'position', cardinality: 10 },
    { name: 'hour', cardinality: 24 },
    { name: 'device', cardinality: 4 },
  ],
  multiHotFields: [{ name: 'user_tags', cardinality: 200, maxLength: 6 }],
  denseFeatures: 4,
  effectStrength: 0.35,
  interactionStrength: 0.3,
} satisfies Partial<SimulatorConfig>;

/**
 * Rates are higher than in production logs (Ali-CCP: CTR ≈ 4%, CVR ≈ 0.5%) so that 100k rows hold 1.3–4.5k
 * purchases (mean CTR ≈ 0.2 once effects spread it): enough for CVR AUC to mean something on a laptop-sized
 * run. The action and buy-after-action rates are low enough that the no-action purchase rate q stays
 * plausible across a PSC sweep up to 0.8: a share s needs E[ctr·(1−avr)·q] = s/(1−s)·E[ctr·avr·p], so shares
 * near the top need q near 1, and the reachable maximum depends on the seed's world (about 0.89–0.93 for
 * paper-like, 0.92–0.95 for taobao-like; beyond it the simulator refuses with the maximum in the message).
 * - `paper-like`: 40% of purchases skip the action, a moderate PSC, with a clear selection bias (ρ = 0.5)
 *   as in the ESMM/ESMC setting.
 * - Every preset: the action and purchase-after-action effects correlate (κ = 0.5): what makes people add to
 *   cart also makes them buy. ESMC's constraint between the two towers rests on that; with κ = 0 the action
 *   tower knows nothing about purchases and there is nothing for the constraint to pass on.
 * - `no-psc`: the same world with every purchase passing through the action, so the chain rule is exact
 *   and chained and constrained models should agree; compare it with `paper-like`.
 * - `taobao-like`: 78% of purchases skip cart/wish-list and the action is rare (base rate 10% of clicks), as
 *   in Taobao UserBehavior (../shared/datasets/taobao-userbehavior): in its sample of whole user histories
 *   41 of 50 pv→buy pairs (82%) have no cart/fav and 4% of pv pairs have one (its 88-minute slice, 92 of 93,
 *   is cut short by the window). A milder selection bias (ρ = 0.3): those logs have no exposures to show it.
 */
export const SIMULATOR_PRESETS: Record<SimulatorPreset, SimulatorConfig> = {
  'no-psc': {
    ...SHAPE,
    baseRates: { ctr: 0.15, avr: 0.15, buyGivenAction: 0.25 },
    clickPurchaseCorrelation: 0.5,
    actionPurchaseCorrelation: 0.5,
    pscShare: 0,
  },
  'paper-like': {
    ...SHAPE,
    baseRates: { ctr: 0.15, avr: 0.15, buyGivenAction: 0.25 },
    clickPurchaseCorrelation: 0.5,
    actionPurchaseCorrelation: 0.5,
    pscShare: 0.4,
  },
  'taobao-like': {
    ...SHAPE,
    baseRates: { ctr: 0.15, avr: 0.1, buyGivenAction: 0.3 },
    clickPurchaseCorrelation: 0.3,
    actionPurchaseCorrelation: 0.5,
    pscShare: 0.78,
  },
};

export const MAX_PSC_SHARE = 0.95;

/** The label and id columns the simulator writes itself; field names must not take them. */
const RESERVED_NAMES = ['user_id', 'item_id', 'category_id', 'click', 'action', 'purchase'];
/** Plain identifiers need no CSV quoting, and keep the loader's name-based role guesses out of the way. */
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Throws a RangeError naming the first knob out of range, before any work or file is started. */
export function validateConfig(config: SimulatorConfig): void {
  const wholeAtLeast = (name: string, value: number, min: number) => {
    if (!Number.isSafeInteger(value) || value < min)
      throw new RangeError(`${name} must be a whole number ≥ ${min}, got ${value}`);
  };
  const within = (name: string, value: number, low: number, high: number, open = false) => {
    const inside = open ? value > low && value < high : value >= low && value <= high;
    if (!Number.isFinite(value) || !inside)
      throw new RangeError(`${name} must be in ${open ? '(' : '['}${low}, ${high}${open ? ')' : ']'}, got ${value}`);
  };
  wholeAtLeast('rows', config.rows, 1);
  wholeAtLeast('users', config.users, 1);
  wholeAtLeast('items', config.items, 1);
  wholeAtLeast('denseFeatures', config.denseFeatures, 0);
  if (!Number.isInteger(config.seed) || config.seed < 0 || config.seed > 0xffffffff)
    throw new RangeError(`seed must be a whole number in [0, 2^32), got ${config.seed}`);
  within('baseRates.ctr', config.baseRates.ctr, 0, 1, true);
  within('baseRates.avr', config.baseRates.avr, 0, 1, true);
  within('baseRates.buyGivenAction', config.baseRates.buyGivenAction, 0, 1, true);
  within('effectStrength', config.effectStrength, 0, 10);
  within('interactionStrength', config.interactionStrength, 0, 10);
  within('clickPurchaseCorrelation', config.clickPurchaseCorrelation, -1, 1);
  within('actionPurchaseCorrelation', config.actionPurchaseCorrelation ?? 0, -1, 1);
  within('pscShare', config.pscShare, 0, MAX_PSC_SHARE);
  const names = new Set(RESERVED_NAMES);
  const checkName = (kind: string, name: string) => {
    if (!FIELD_NAME.test(name) || /^d\d+$/.test(name))
      throw new RangeError(`${kind} name "${name}" must be a plain identifier, not d<number>`);
    if (names.has(name) || name.startsWith('true_'))
      throw new RangeError(`${kind} name "${name}" is taken; the simulator writes ${RESERVED_NAMES.join(', ')}`);
    names.add(name);
  };
  for (const { name, cardinality } of config.contextFields) {
    checkName('context field', name);
    wholeAtLeast(`${name} cardinality`, cardinality, 1);
  }
  for (const { name, cardinality, maxLength } of config.multiHotFields) {
    checkName('multi-hot field', name);
    wholeAtLeast(`${name} cardinality`, cardinality, 1);
    wholeAtLeast(`${name} maxLength`, maxLength, 1);
    // Bags hold distinct values, and the CSV loader keeps at most MAX_MULTI_HOT_LENGTH tokens.
    if (maxLength > Math.min(cardinality, MAX_MULTI_HOT_LENGTH))
      throw new RangeError(
        `${name} maxLength must be ≤ its cardinality and ≤ ${MAX_MULTI_HOT_LENGTH}, got ${maxLength} (cardinality ${cardinality})`,
      );
  }
}
