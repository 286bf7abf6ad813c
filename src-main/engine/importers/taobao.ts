import { DataError } from '../data/errors.js';
import type { Finding } from '../data/encode.js';
import type { ColumnRoles } from '../data/roles.js';
import type { Project } from '../store/project.js';
import { ident } from '../store/sql.js';
import { RAW, STAGE, stageDelimited } from './stage.js';

/**
 * What to do with a (user, item) pair that has a buy but no logged pv. Taobao logs purchases made without a
 * page view of that item (from the cart page, a re-order, or a pv outside the logged window), so a buy is
 * evidence of a visit: 'count-as-click' (the default) treats it as clicked; 'drop' leaves such pairs out.
 */
export type BuysWithoutPv = 'drop' | 'count-as-click';

export const TAOBAO_COLUMNS = ['user_id', 'item_id', 'category_id', 'behavior', 'timestamp'];
const BEHAVIORS = ['pv', 'cart', 'fav', 'buy'];
/** Beijing time, the dataset's own: hour-of-day and weekday features mean what shoppers lived. */
const UTC_OFFSET_SECONDS = 8 * 3600;

/** Whether a header-less, five-column staged file looks like UserBehavior.csv (column 4 is pv/cart/fav/buy). */
export async function looksLikeTaobao(project: Project, columns: string[], header: boolean): Promise<boolean> {
  if (header || columns.length !== 5) return false;
  const row = await project.one(
    `SELECT bool_and(${ident(columns[3])} IN ('pv', 'cart', 'fav', 'buy')) AS ok FROM (SELECT * FROM ${RAW} LIMIT 1000)`,
  );
  return row?.ok === true;
}

/**
 * Turns UserBehavior events into one row per (user, item): click = any pv, action = any cart or fav,
 * purchase = any buy; category, and hour and weekday of the pair's first event as context features; the first
 * event's time as the timestamp for time splits. `__line` is the line of the pair's first event.
 */
export async function stageTaobao(
  project: Project,
  file: string,
  buysWithoutPv: BuysWithoutPv,
  alreadyStaged?: string[],
): Promise<{ findings: Finding[]; roles: (suggested: ColumnRoles) => ColumnRoles }> {
  const columns = alreadyStaged ?? (await stageDelimited(project, file, { columns: TAOBAO_COLUMNS })).columns;
  const [user, item, category, behavior, time] = columns.map(ident);
  const badBehavior = await project.one(
    `SELECT count(*)::DOUBLE AS n, min(__line) AS line, arg_min(${behavior}, __line) AS value
     FROM ${STAGE} WHERE ${behavior} IS NULL OR ${behavior} NOT IN (${BEHAVIORS.map((b) => `'${b}'`).join(', ')})`,
  );
  if (Number(badBehavior?.n) > 0)
    throw new DataError(
      file,
      Number(badBehavior!.line),
      4,
      `behavior must be one of ${BEHAVIORS.join(', ')}, got "${String(badBehavior!.value ?? '')}" ` +
        `(${Number(badBehavior!.n)} such rows)`,
    );
  const badTime = await project.one(
    `SELECT count(*)::DOUBLE AS n, min(__line) AS line, arg_min(${time}, __line) AS value
     FROM ${STAGE} WHERE TRY_CAST(${time} AS BIGINT) IS NULL`,
  );
  if (Number(badTime?.n) > 0)
    throw new DataError(
      file,
      Number(badTime!.line),
      5,
      `timestamp must be Unix seconds, got "${String(badTime!.value ?? '')}" (${Number(badTime!.n)} such rows)`,
    );
  const clickWhen = buysWithoutPv === 'count-as-click' ? `(has_pv OR has_buy)` : `has_pv`;
  await project.run(`ALTER VIEW ${STAGE} RENAME TO esmc_events`);
  await project.run(
    `CREATE TEMP TABLE esmc_pairs AS
     SELECT min(__line) AS __line, ${user} AS user_id, ${item} AS item_id, arg_min(${category}, __line) AS category_id,
            min(TRY_CAST(${time} AS BIGINT)) AS first_time,
            bool_or(${behavior} = 'pv') AS has_pv, bool_or(${behavior} IN ('cart', 'fav')) AS has_action,
            bool_or(${behavior} = 'buy') AS has_buy
     FROM esmc_events GROUP BY ${user}, ${item}`,
  );
  const unseen = await project.one(
    `SELECT count(*)::DOUBLE AS n, min(__line, 5) AS lines FROM esmc_pairs WHERE has_buy AND NOT has_pv`,
  );
  await project.run(
    `CREATE TEMP TABLE ${STAGE} AS
     SELECT __line, user_id, item_id, category_id,
            (((first_time + ${UTC_OFFSET_SECONDS}) % 86400) // 3600)::VARCHAR AS hour,
            (((first_time + ${UTC_OFFSET_SECONDS}) // 86400 + 4) % 7)::VARCHAR AS weekday,
            first_time::VARCHAR AS timestamp,
            (${clickWhen})::INTEGER::VARCHAR AS click, has_action::INTEGER::VARCHAR AS action,
            has_buy::INTEGER::VARCHAR AS purchase
     FROM esmc_pairs ${buysWithoutPv === 'drop' ? 'WHERE has_pv OR NOT has_buy' : ''}`,
  );
  await project.run('DROP TABLE esmc_pairs');
  await project.run('DROP VIEW esmc_events');
  const findings: Finding[] = [];
  const count = Number(unseen?.n ?? 0);
  if (count > 0)
    findings.push({
      severity: 'info',
      code: buysWithoutPv === 'drop' ? 'buys-without-pv-dropped' : 'buys-without-pv-counted',
      message:
        `${count} (user, item) pairs have a buy but no logged pv; ` +
        (buysWithoutPv === 'drop' ? 'they were left out' : 'they count as clicked (buysWithoutPv: count-as-click)'),
      count,
      exampleLines: ((unseen!.lines as bigint[] | null) ?? []).map(Number),
    });
  return {
    findings,
    roles: (suggested) => ({
      ...suggested,
      click: 'click',
      action: ['action'],
      purchase: 'purchase',
      user: 'user_id',
      item: 'item_id',
      timestamp: 'timestamp',
      // user_id is a feature unless userFeature is false (categoricalFeatures then leaves it out).
      categorical: ['user_id', 'item_id', 'category_id', 'hour', 'weekday'],
      multiHot: [],
      dense: [],
      truth: [],
      ignore: [],
    }),
  };
}
