/**
 * Writes funnel-sample.csv: synthetic exposures with click, in-shop action (cart/wish-list) and purchase
 * labels drawn from known logistic models of the features, so that a model trained on it has something to
 * learn, and with ~40% of purchases made without an in-shop action, the case that makes PSC matter.
 * Run: npx tsx assets/samples/make-funnel-sample.ts (seeded: the same file every time).
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Random } from '../../src-main/engine/random.js';

const ROWS = 12000;
const USERS = 200;
const ITEMS = 400;
const POSITIONS = 8;
const CATEGORIES = ['shoes', 'phones', 'books', 'toys', 'beauty', 'sports', 'kitchen', 'garden', 'music', 'bags'];

const random = new Random(20240607);
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const draw = (logit: number) => (random.next() < sigmoid(logit) ? 1 : 0);

const userTaste = Array.from({ length: USERS }, () => 0.8 * random.normal());
const categoryAppeal = CATEGORIES.map(() => 0.5 * random.normal());
const categoryCartHabit = CATEGORIES.map(() => 0.7 * random.normal());
const items = Array.from({ length: ITEMS }, () => {
  const category = random.int(CATEGORIES.length);
  const price = Math.exp(3 + (0.3 * category) / CATEGORIES.length + 0.7 * random.normal());
  return { category, price: Math.round(price * 100) / 100, quality: 0.6 * random.normal() };
});

const lines = ['user_id,item_id,category,position,price,click,action,purchase'];
for (let row = 0; row < ROWS; row++) {
  const user = random.int(USERS);
  const itemId = random.int(ITEMS);
  const item = items[itemId];
  const position = 1 + random.int(POSITIONS);
  const pricey = Math.log(item.price / 20);
  const click = draw(-1.2 + userTaste[user] + categoryAppeal[item.category] + item.quality - 0.2 * (position - 1));
  const action = click ? draw(-1.1 + categoryCartHabit[item.category] + 0.5 * userTaste[user] + 0.3 * pricey) : 0;
  const purchase = click ? draw((action ? -0.6 : -2.1) + item.quality - 0.8 * pricey) : 0;
  const cells = [
    user + 1,
    itemId + 1,
    CATEGORIES[item.category],
    position,
    item.price.toFixed(2),
    click,
    action,
    purchase,
  ];
  lines.push(cells.join(','));
}

writeFileSync(fileURLToPath(new URL('./funnel-sample.csv', import.meta.url)), lines.join('\n') + '\n');
