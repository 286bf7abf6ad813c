/**
 * The simulated world: who sees what, and the true probabilities of every step of the decision path
 * exposure → click (c) → in-shop action (a) → purchase (b). Four logit heads share one set of features:
 *
 *   P(c)      = σ(logit(base ctr) + Σ click effects)
 *   P(a|c)    = σ(logit(base avr) + Σ action effects)
 *   P(b|a,c)  = σ(logit(base buy|action) + Σ purchase effects)
 *   P(b|¬a,c) = σ(intercept found by calibration + Σ no-action purchase effects), or 0 when pscShare = 0
 */
import { Random } from '../random.js';
import type { SimulatorConfig } from './config.js';

/** The per-row true probabilities, in the order they are written beside the labels. */
export const TRUTH_COLUMNS = [
  'true_ctr',
  'true_avr',
  'true_cvr',
  'true_buy_given_action',
  'true_buy_given_no_action',
  'true_ctavr',
  'true_ctcvr',
  'true_chained_ctcvr',
  'true_psc_gap',
] as const;

export type TruthColumn = (typeof TRUTH_COLUMNS)[number];

export const LABEL_COLUMNS = ['click', 'action', 'purchase'] as const;

/** The feature columns of a simulation, in file order; ids of a field with V values run 1..V. */
export interface SimulationLayout {
  /** user_id, item_id, category_id, then the context fields. */
  categorical: { name: string; values: number }[];
  multiHot: { name: string; values: number; maxLength: number }[];
  dense: string[];
}

export const USER_COLUMN = 'user_id';
const ITEM_COLUMN = 'item_id';
const CATEGORY_COLUMN = 'category_id';

/** Enough categories that items share some, few enough that each category is seen often (71 for 5k items). */
export function categoryCount(items: number): number {
  return Math.max(1, Math.round(Math.sqrt(items)));
}

export function simulationLayout(config: SimulatorConfig): SimulationLayout {
  return {
    categorical: [
      { name: USER_COLUMN, values: config.users },
      { name: ITEM_COLUMN, values: config.items },
      { name: CATEGORY_COLUMN, values: categoryCount(config.items) },
      ...config.contextFields.map(({ name, cardinality }) => ({ name, values: cardinality })),
    ],
    multiHot: config.multiHotFields.map(({ name, cardinality, maxLength }) => ({
      name,
      values: cardinality,
      maxLength,
    })),
    dense: Array.from({ length: config.denseFeatures }, (_, k) => `d${k}`),
  };
}

/** A chunk of sampled rows, column arrays reused from chunk to chunk so memory stays flat. */
export class RowBlock {
  count = 0;
  /** Row-major [capacity × categorical fields]. */
  readonly categorical: Int32Array;
  /** One row-major [capacity × maxLength] array per multi-hot field, -1 = padding. */
  readonly bags: Int32Array[];
  /** Row-major [capacity × dense], already rounded to what the files hold. */
  readonly dense: Float64Array;
  readonly click: Uint8Array;
  readonly action: Uint8Array;
  readonly purchase: Uint8Array;
  /** One array per TRUTH_COLUMNS entry, rounded to what the files hold. */
  readonly truth: Float64Array[];

  constructor(
    readonly layout: SimulationLayout,
    readonly capacity: number,
  ) {
    this.categorical = new Int32Array(capacity * layout.categorical.length);
    this.bags = layout.multiHot.map(({ maxLength }) => new Int32Array(capacity * maxLength));
    this.dense = new Float64Array(capacity * layout.dense.length);
    this.click = new Uint8Array(capacity);
    this.action = new Uint8Array(capacity);
    this.purchase = new Uint8Array(capacity);
    this.truth = TRUTH_COLUMNS.map(() => new Float64Array(capacity));
  }
}

export interface SimulationTally {
  rows: number;
  clicks: number;
  actions: number;
  purchases: number;
  purchasesWithoutAction: number;
}

/**
 * Significant digits of every probability and dense value. The in-memory dataset holds exactly what the CSV
 * and Parquet files hold, so a model trained on one scores the other identically; 7 digits is about float32's
 * precision, which is what the dataset stores anyway.
 */
export const SIGNIFICANT_DIGITS = 7;
// Literals, because 10 ** k is not guaranteed to be correctly rounded.
export const POWERS_OF_TEN = [
  1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
  1e21, 1e22,
];

/**
 * `x` rounded to SIGNIFICANT_DIGITS: the double nearest a short decimal, so String(x) prints that decimal and
 * parsing it back gives x again. m / 10^k of exact integers is correctly rounded, which makes that true.
 */
export function roundSignificant(x: number): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  const decimals = SIGNIFICANT_DIGITS - 1 - Math.floor(Math.log10(Math.abs(x)));
  if (decimals < 0 || decimals >= POWERS_OF_TEN.length) return Number(x.toPrecision(SIGNIFICANT_DIGITS));
  const scale = POWERS_OF_TEN[decimals];
  return Math.round(x * scale) / scale;
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
const logit = (p: number) => Math.log(p / (1 - p));

const HEADS = 4;
const CLICK = 0;
const ACTION = 1;
const BUY_AFTER_ACTION = 2;
const BUY_WITHOUT_ACTION = 3;

/** Latent user segments; the user-group × item-category interaction is what a model has to discover. */
const USER_GROUPS = 8;
/** Log-normal spreads of user activity and item popularity: real logs are heavy-tailed on both. */
const USER_ACTIVITY_SPREAD = 1;
const ITEM_POPULARITY_SPREAD = 1.2;
/** Feature draws behind the calibration of P(b|¬a,c); fixed, so the intercept does not depend on `rows`. */
const PILOT_ROWS = 50_000;
const CALIBRATION_BOUND = 60;

/**
 * Makes `values` exactly mean 0 (when `centered`), orthogonal to each of `others` (themselves orthogonal) and
 * of mean square 1. A few values (4 devices, 4 dense weights) drawn independently can correlate by chance
 * as strongly as the knob asks for, so the knob is imposed on the sample, not just on the distribution.
 */
function standardize(values: Float64Array, others: Float64Array[], centered: boolean): void {
  const n = values.length;
  const dot = (a: Float64Array, b: Float64Array) => a.reduce((sum, x, i) => sum + x * b[i], 0);
  if (centered) {
    const mean = values.reduce((sum, x) => sum + x, 0) / n;
    for (let i = 0; i < n; i++) values[i] -= mean;
  }
  for (const other of others) {
    const scale = dot(values, other) / dot(other, other);
    if (Number.isFinite(scale)) for (let i = 0; i < n; i++) values[i] -= scale * other[i];
  }
  const rootMeanSquare = Math.sqrt(dot(values, values) / n);
  // Too few values to satisfy every constraint (e.g. one value, centered): the component is 0.
  if (rootMeanSquare < 1e-9) values.fill(0);
  else for (let i = 0; i < n; i++) values[i] /= rootMeanSquare;
}

/** ρ: click effect ↔ purchase effects (selection bias); κ: action effect ↔ purchase-after-action effect. */
interface EffectCorrelations {
  rho: number;
  kappa: number;
}

/**
 * Effects of `entries` values on the four heads, [entries × 4]. A shared component z gives every value's
 * click effect correlation ρ with both purchase effects (ρ > 0: what attracts clicks also sells, so clicked
 * rows buy more than exposures do, the sample selection bias ESMM is about). The two purchase heads share
 * half their own variance, since buying with and without a cart step are related tastes. The action effect
 * has correlation κ with the purchase-after-action effect: what makes people add to cart also makes them buy,
 * the premise under which ESMC's constraint between the two towers can transfer anything. Id effects are
 * `centered`, so the base rates stay the rates of a typical row; dense weights multiply zero-mean features
 * and are not.
 */
function effectTable(
  random: Random,
  entries: number,
  std: number,
  { rho, kappa }: EffectCorrelations,
  centered = true,
): Float64Array {
  const draw = () => Float64Array.from({ length: entries }, () => random.normal());
  const shared = draw();
  const action = draw();
  const purchase = draw();
  const noActionPurchase = draw();
  standardize(shared, [], centered);
  standardize(action, [], centered);
  standardize(purchase, [shared], centered);
  standardize(noActionPurchase, [shared, purchase], centered);
  const own = Math.sqrt(1 - rho * rho);
  const actionOwn = Math.sqrt(1 - kappa * kappa);
  const half = Math.SQRT1_2;
  const table = new Float64Array(entries * HEADS);
  for (let v = 0; v < entries; v++) {
    const buyAfterAction = rho * shared[v] + own * purchase[v];
    table[v * HEADS + CLICK] = std * shared[v];
    table[v * HEADS + ACTION] = std * (kappa * buyAfterAction + actionOwn * action[v]);
    table[v * HEADS + BUY_AFTER_ACTION] = std * buyAfterAction;
    table[v * HEADS + BUY_WITHOUT_ACTION] =
      std * (rho * shared[v] + own * (half * purchase[v] + half * noActionPurchase[v]));
  }
  return table;
}

/** Cumulative log-normal weights over 1..values, ending at exactly 1. */
function popularity(random: Random, values: number, spread: number): Float64Array {
  const cumulative = new Float64Array(values);
  let total = 0;
  for (let v = 0; v < values; v++) cumulative[v] = total += Math.exp(spread * random.normal());
  for (let v = 0; v < values; v++) cumulative[v] /= total;
  cumulative[values - 1] = 1;
  return cumulative;
}

/** The id (1-based) whose cumulative weight first exceeds u ∈ [0, 1). */
function pick(cumulative: Float64Array, u: number): number {
  let low = 0;
  let high = cumulative.length - 1;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (cumulative[mid] > u) high = mid;
    else low = mid + 1;
  }
  return low + 1;
}

function addEffects(sum: Float64Array, table: Float64Array, entry: number): void {
  const at = entry * HEADS;
  sum[0] += table[at];
  sum[1] += table[at + 1];
  sum[2] += table[at + 2];
  sum[3] += table[at + 3];
}

/**
 * One seeded simulation: the world (popularity, categories, bags, effects) is drawn once, the intercept of
 * P(b|¬a,c) is calibrated on a pilot sample, and rows are then sampled in order, chunk after chunk. The seed
 * fixes all three streams separately, so the first n rows do not depend on how many rows follow.
 */
export class FunnelSimulation {
  readonly layout: SimulationLayout;
  /** E[ctr·(1−avr)·q] / E[ctr·(avr·p + (1−avr)·q)] over the pilot sample; 0 when q ≡ 0. */
  readonly expectedPscShare: number;
  readonly tally: SimulationTally = { rows: 0, clicks: 0, actions: 0, purchases: 0, purchasesWithoutAction: 0 };

  private readonly rowRandom: Random;
  private readonly intercepts: Float64Array;
  /** Undefined when pscShare = 0: every purchase then passes through the action. */
  private readonly noActionIntercept: number | undefined;
  private readonly users: Float64Array;
  private readonly items: Float64Array;
  private readonly itemCategory: Int32Array;
  private readonly userGroup: Int32Array;
  private readonly categories: number;
  private readonly userEffects: Float64Array;
  private readonly itemEffects: Float64Array;
  private readonly categoryEffects: Float64Array;
  private readonly contextEffects: Float64Array[];
  /** Per user: the effects of all its bags, each the mean over its values (as 'mean' pooling sees them). */
  private readonly userBagEffects: Float64Array;
  /** Per multi-hot field: [(users + 1) × maxLength] values, -1 = padding. */
  private readonly userBags: Int32Array[];
  private readonly denseWeights: Float64Array;
  private readonly groupCategoryEffects: Float64Array;
  private readonly contextPairEffects: Float64Array | undefined;
  private readonly effects = new Float64Array(HEADS);

  constructor(private readonly config: SimulatorConfig) {
    this.layout = simulationLayout(config);
    const seeds = new Random(config.seed);
    const world = seeds.fork();
    const pilot = seeds.fork();
    this.rowRandom = seeds.fork();

    const { users, items, effectStrength: std, interactionStrength } = config;
    const rho: EffectCorrelations = {
      rho: config.clickPurchaseCorrelation,
      kappa: config.actionPurchaseCorrelation ?? 0,
    };
    this.categories = categoryCount(items);
    this.users = popularity(world, users, USER_ACTIVITY_SPREAD);
    this.items = popularity(world, items, ITEM_POPULARITY_SPREAD);
    this.itemCategory = new Int32Array(items + 1);
    for (let item = 1; item <= items; item++) this.itemCategory[item] = 1 + world.int(this.categories);
    const groups = Math.min(USER_GROUPS, users);
    this.userGroup = new Int32Array(users + 1);
    for (let user = 1; user <= users; user++) this.userGroup[user] = world.int(groups);

    // Tables hold values 1..V at entries 0..V-1.
    this.userEffects = effectTable(world, users, std, rho);
    this.itemEffects = effectTable(world, items, std, rho);
    this.categoryEffects = effectTable(world, this.categories, std, rho);
    this.contextEffects = config.contextFields.map(({ cardinality }) => effectTable(world, cardinality, std, rho));
    this.denseWeights = effectTable(world, config.denseFeatures, std, rho, false);
    this.groupCategoryEffects = effectTable(world, groups * this.categories, interactionStrength, rho);
    const [first, second] = config.contextFields;
    this.contextPairEffects =
      second && effectTable(world, first.cardinality * second.cardinality, interactionStrength, rho);

    this.userBagEffects = new Float64Array((users + 1) * HEADS);
    this.userBags = config.multiHotFields.map(({ cardinality, maxLength }) => {
      const valueEffects = effectTable(world, cardinality, std, rho);
      const bags = new Int32Array((users + 1) * maxLength).fill(-1);
      for (let user = 1; user <= users; user++) {
        const bag = distinctValues(world, 1 + world.int(maxLength), cardinality);
        bags.set(bag, user * maxLength);
        for (const value of bag)
          for (let h = 0; h < HEADS; h++)
            this.userBagEffects[user * HEADS + h] += valueEffects[(value - 1) * HEADS + h] / bag.length;
      }
      return bags;
    });

    const { ctr, avr, buyGivenAction } = config.baseRates;
    this.intercepts = Float64Array.of(logit(ctr), logit(avr), logit(buyGivenAction), 0);
    if (config.pscShare > 0) {
      const calibrated = this.calibrate(pilot, config.pscShare);
      this.noActionIntercept = calibrated.intercept;
      this.expectedPscShare = calibrated.share;
    } else this.expectedPscShare = 0;
  }

  /** Samples the next `count` rows into `block`: features, true probabilities, then labels down the path. */
  next(block: RowBlock, count: number): void {
    if (count > block.capacity) throw new RangeError(`${count} rows do not fit a block of ${block.capacity}`);
    const random = this.rowRandom;
    const effects = this.effects;
    const [
      ctrColumn,
      avrColumn,
      cvrColumn,
      buyAColumn,
      buyNColumn,
      ctavrColumn,
      ctcvrColumn,
      chainedColumn,
      gapColumn,
    ] = block.truth;
    const tally = this.tally;
    for (let row = 0; row < count; row++) {
      this.drawFeatures(random, block, row, effects);
      const ctr = roundSignificant(sigmoid(this.intercepts[CLICK] + effects[CLICK]));
      const avr = roundSignificant(sigmoid(this.intercepts[ACTION] + effects[ACTION]));
      const buyA = roundSignificant(sigmoid(this.intercepts[BUY_AFTER_ACTION] + effects[BUY_AFTER_ACTION]));
      const buyN =
        this.noActionIntercept === undefined
          ? 0
          : roundSignificant(sigmoid(this.noActionIntercept + effects[BUY_WITHOUT_ACTION]));
      const cvr = avr * buyA + (1 - avr) * buyN;
      ctrColumn[row] = ctr;
      avrColumn[row] = avr;
      cvrColumn[row] = roundSignificant(cvr);
      buyAColumn[row] = buyA;
      buyNColumn[row] = buyN;
      ctavrColumn[row] = roundSignificant(ctr * avr);
      ctcvrColumn[row] = roundSignificant(ctr * cvr);
      chainedColumn[row] = roundSignificant(ctr * avr * buyA);
      gapColumn[row] = roundSignificant(ctr * (1 - avr) * buyN);

      const click = random.next() < ctr ? 1 : 0;
      const action = click && random.next() < avr ? 1 : 0;
      const purchase = click && random.next() < (action ? buyA : buyN) ? 1 : 0;
      block.click[row] = click;
      block.action[row] = action;
      block.purchase[row] = purchase;
      tally.clicks += click;
      tally.actions += action;
      tally.purchases += purchase;
      tally.purchasesWithoutAction += purchase & (1 - action);
    }
    tally.rows += count;
    block.count = count;
  }

  /** Writes one row's features into `block` and their summed effects (no intercepts) into `effects`. */
  private drawFeatures(random: Random, block: RowBlock, row: number, effects: Float64Array): void {
    effects.fill(0);
    const fields = this.layout.categorical.length;
    const ids = block.categorical;
    const base = row * fields;
    const user = pick(this.users, random.next());
    const item = pick(this.items, random.next());
    const category = this.itemCategory[item];
    ids[base] = user;
    ids[base + 1] = item;
    ids[base + 2] = category;
    addEffects(effects, this.userEffects, user - 1);
    addEffects(effects, this.itemEffects, item - 1);
    addEffects(effects, this.categoryEffects, category - 1);
    addEffects(effects, this.userBagEffects, user);
    addEffects(effects, this.groupCategoryEffects, this.userGroup[user] * this.categories + category - 1);
    const contexts = this.config.contextFields;
    for (let f = 0; f < contexts.length; f++) {
      const value = 1 + random.int(contexts[f].cardinality);
      ids[base + 3 + f] = value;
      addEffects(effects, this.contextEffects[f], value - 1);
    }
    if (this.contextPairEffects)
      addEffects(effects, this.contextPairEffects, (ids[base + 3] - 1) * contexts[1].cardinality + ids[base + 4] - 1);
    this.userBags.forEach((bags, f) => {
      const length = this.layout.multiHot[f].maxLength;
      block.bags[f].set(bags.subarray(user * length, (user + 1) * length), row * length);
    });
    const dense = this.layout.dense.length;
    for (let k = 0; k < dense; k++) {
      const value = roundSignificant(random.normal());
      block.dense[row * dense + k] = value;
      for (let h = 0; h < HEADS; h++) effects[h] += this.denseWeights[k * HEADS + h] * value;
    }
  }

  /**
   * The intercept of P(b|¬a,c) that makes the expected share of no-action purchases over a pilot sample equal
   * `target`. The no-action purchase mass Σ ctr·(1−avr)·σ(b + effect) grows with b, so bisection finds it.
   */
  private calibrate(random: Random, target: number): { intercept: number; share: number } {
    const block = new RowBlock(this.layout, 1);
    const effects = new Float64Array(HEADS);
    const noActionWeight = new Float64Array(PILOT_ROWS);
    const noActionEffect = new Float64Array(PILOT_ROWS);
    let chained = 0;
    for (let i = 0; i < PILOT_ROWS; i++) {
      this.drawFeatures(random, block, 0, effects);
      const ctr = sigmoid(this.intercepts[CLICK] + effects[CLICK]);
      const avr = sigmoid(this.intercepts[ACTION] + effects[ACTION]);
      chained += ctr * avr * sigmoid(this.intercepts[BUY_AFTER_ACTION] + effects[BUY_AFTER_ACTION]);
      noActionWeight[i] = ctr * (1 - avr);
      noActionEffect[i] = effects[BUY_WITHOUT_ACTION];
    }
    const noActionMass = (intercept: number) => {
      let mass = 0;
      for (let i = 0; i < PILOT_ROWS; i++) mass += noActionWeight[i] * sigmoid(intercept + noActionEffect[i]);
      return mass;
    };
    const share = (mass: number) => mass / (mass + chained);
    const needed = (target / (1 - target)) * chained;
    const reachable = noActionMass(CALIBRATION_BOUND);
    if (needed >= reachable) {
      throw new RangeError(
        `pscShare ${target} is out of reach: even if everyone who clicks without an in-shop action bought, ` +
          `only ${share(reachable).toFixed(3)} of purchases would skip it; lower baseRates.avr or baseRates.buyGivenAction`,
      );
    }
    let low = -CALIBRATION_BOUND;
    let high = CALIBRATION_BOUND;
    while (high - low > 1e-9) {
      const mid = (low + high) / 2;
      if (noActionMass(mid) < needed) low = mid;
      else high = mid;
    }
    const intercept = (low + high) / 2;
    return { intercept, share: share(noActionMass(intercept)) };
  }
}

/** `length` distinct values of 1..values, ascending (a bag is a set; sorted, it prints the same every time). */
function distinctValues(random: Random, length: number, values: number): Int32Array {
  const chosen = new Set<number>();
  while (chosen.size < length) chosen.add(1 + random.int(values));
  return Int32Array.from(chosen).sort();
}
