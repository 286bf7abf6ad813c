import { basename, dirname, join } from 'node:path';
import { DataError } from '../data/errors.js';
import type { ColumnRoles } from '../data/roles.js';
import type { Project } from '../store/project.js';
import { ident, literal } from '../store/sql.js';
import { checkDataFile } from '../files.js';
import { checkReadable, csvError, IMPORT_DOOR, RAW, STAGE } from './stage.js';

/** Field order of the Ali-CCP documentation (models-reference §10.1); fields not listed follow, sorted. */
const FIELD_ORDER = [
  '101', '121', '122', '124', '125', '126', '127', '128', '129',
  '109_14', '110_14', '127_14', '150_14',
  '205', '206', '207', '210', '216',
  '508', '509', '702', '853', '301',
]; // prettier-ignore
/** Fields that hold several feature ids per impression: user histories and the intention node. */
const MULTI_VALUED = ['109_14', '110_14', '127_14', '150_14', '210'];

export const SKELETON_PATTERN = /sample_skeleton_/;

/** `…/sample_skeleton_train.csv` → `…/common_features_train.csv`, the file Ali-CCP ships beside it. */
export function commonFeaturesPath(skeleton: string): string {
  return join(dirname(skeleton), basename(skeleton).replace('sample_skeleton_', 'common_features_'));
}

const text = (names: string[]) => `{${names.map((name) => `${literal(name)}: 'VARCHAR'`).join(', ')}}`;

function readRaw(file: string, columns: string[]): string {
  // The feature list holds \x01\x02\x03 and never a quote, so quoting is off: a stray quote is data.
  return `read_csv(${literal(file)}, auto_detect = false, header = false, delim = ',', quote = '', escape = '', columns = ${text(columns)})`;
}

/** Explodes a `field\x02feature\x03value` list (entries joined by \x01) into (key, field, feature, pos) rows. */
function entries(relation: string, key: string): string {
  return `SELECT ${key} AS key, split_part(entry, chr(2), 1) AS field,
                 split_part(split_part(entry, chr(2), 2), chr(3), 1) AS feature, pos, entry
          FROM (SELECT ${key}, unnest(string_split(feature_list, chr(1))) AS entry,
                       generate_subscripts(string_split(feature_list, chr(1)), 1) AS pos FROM ${relation})
          WHERE entry <> ''`;
}

/**
 * Stages the raw Ali-CCP layout: each `sample_skeleton_*` row (sample_id, click, conversion,
 * common_feature_index, feature_num, feature_list) joined with its `common_features_*` row (index,
 * feature_num, feature_list) and pivoted to one column per field. A field with several feature ids keeps them
 * all, `|`-joined, as a bag; the per-feature values (counts or weights) are dropped.
 */
export async function stageAliCcpRaw(
  project: Project,
  skeleton: string,
  commonFeatures = commonFeaturesPath(skeleton),
): Promise<{ columns: string[]; roles: (suggested: ColumnRoles) => ColumnRoles }> {
  await checkReadable(skeleton);
  await checkReadable(commonFeatures).catch(() => {
    throw new DataError(
      commonFeatures,
      0,
      undefined,
      `file not found: the user features of ${basename(skeleton)} belong in ${commonFeatures} ` +
        '(pass its path as commonFeatures / --common-features)',
    );
  });
  await checkDataFile(commonFeatures, IMPORT_DOOR);
  const skeletonColumns = ['sample_id', 'click', 'purchase', 'common_feature_index', 'feature_num', 'feature_list'];
  try {
    await project.run(`CREATE TEMP TABLE esmc_skeleton_raw AS SELECT * FROM ${readRaw(skeleton, skeletonColumns)}`);
  } catch (error) {
    throw csvError(skeleton, error);
  }
  try {
    const columns = ['common_feature_index', 'feature_num', 'feature_list'];
    await project.run(`CREATE TEMP TABLE esmc_common_raw AS SELECT * FROM ${readRaw(commonFeatures, columns)}`);
  } catch (error) {
    throw csvError(commonFeatures, error);
  }
  // A table keeps insertion order, so its rowid is the file's line order.
  await project.run(`CREATE TEMP TABLE esmc_skeleton AS SELECT rowid + 1 AS __line, * FROM esmc_skeleton_raw`);
  await project.run(`CREATE TEMP TABLE esmc_common AS SELECT rowid + 1 AS __line, * FROM esmc_common_raw`);
  await project.run(`CREATE TEMP TABLE esmc_skeleton_entries AS ${entries('esmc_skeleton', '__line')}`);
  await project.run(`CREATE TEMP TABLE esmc_common_entries AS ${entries('esmc_common', 'common_feature_index')}`);
  for (const [relation, file, lineOf] of [
    ['esmc_skeleton_entries', skeleton, 'key'],
    [
      'esmc_common_entries',
      commonFeatures,
      '(SELECT min(__line) FROM esmc_common c WHERE c.common_feature_index = key)',
    ],
  ] as const) {
    const malformed = await project.one(
      `SELECT count(*)::DOUBLE AS n, min(${lineOf}) AS line, arg_min(entry, key) AS entry FROM ${relation}
       WHERE field = '' OR feature = '' OR strpos(entry, chr(2)) = 0`,
    );
    if (Number(malformed?.n) > 0)
      throw new DataError(
        file,
        Number(malformed!.line),
        6,
        `feature entries must read field\\x02feature\\x03value, got ${JSON.stringify(malformed!.entry)} ` +
          `(${Number(malformed!.n)} malformed entries)`,
      );
  }
  const fields = await fieldsIn(project, ['esmc_skeleton_entries', 'esmc_common_entries']);
  await project.run(`CREATE TEMP TABLE esmc_skeleton_fields AS ${pivot('esmc_skeleton_entries', fields)}`);
  await project.run(`CREATE TEMP TABLE esmc_common_fields AS ${pivot('esmc_common_entries', fields)}`);
  // A field may sit in both files; its bag is then the union of both lists.
  const merged = fields.map((f) => `nullif(concat_ws('|', s.${ident(f)}, c.${ident(f)}), '') AS ${ident(f)}`);
  await project.run(
    `CREATE TEMP TABLE ${STAGE} AS
     SELECT k.__line, k.sample_id, k.click, k.purchase, ${merged.join(', ')}
     FROM esmc_skeleton k
     LEFT JOIN esmc_skeleton_fields s ON s.key = k.__line
     LEFT JOIN esmc_common_fields c ON c.key = k.common_feature_index`,
  );
  for (const kind of ['raw', 'entries', 'fields'])
    for (const file of ['skeleton', 'common']) await project.run(`DROP TABLE esmc_${file}_${kind}`);
  await project.run('DROP TABLE esmc_skeleton');
  await project.run('DROP TABLE esmc_common');
  const count = await project.one(`SELECT count(*)::DOUBLE AS n FROM ${STAGE}`);
  if (Number(count?.n) === 0) throw new DataError(skeleton, 1, undefined, 'the file has no data rows');
  return { columns: ['sample_id', 'click', 'purchase', ...fields], roles: aliCcpRoles(fields) };
}

/** The fields the entries of `relations` name, in the documentation's order. */
async function fieldsIn(project: Project, relations: string[]): Promise<string[]> {
  const union = relations.map((relation) => `SELECT field FROM ${relation}`).join(' UNION ALL ');
  const present = (await project.all(`SELECT DISTINCT field FROM (${union})`)).map((row) => String(row.field));
  return [
    ...FIELD_ORDER.filter((field) => present.includes(field)),
    ...present.filter((field) => !FIELD_ORDER.includes(field)).sort(),
  ];
}

/** One row per key with one column per field: its feature ids `|`-joined in their order in the line. */
const pivot = (relation: string, fields: string[]) =>
  `SELECT key, ${fields
    .map((f) => `string_agg(feature, '|' ORDER BY pos) FILTER (WHERE field = ${literal(f)}) AS ${ident(f)}`)
    .join(', ')} FROM ${relation} GROUP BY key`;

/** Ali-CCP's roles, whichever preprocessing wrote the file: labels, user 101, item 205, histories as bags. */
function aliCcpRoles(fields: string[]): (suggested: ColumnRoles) => ColumnRoles {
  return (suggested) => {
    const multiHot = [...new Set([...(suggested.multiHot ?? []), ...MULTI_VALUED.filter((f) => fields.includes(f))])];
    return {
      ...suggested,
      click: 'click',
      purchase: 'purchase',
      user: fields.includes('101') ? '101' : suggested.user,
      item: fields.includes('205') ? '205' : suggested.item,
      categorical: suggested.categorical.filter((name) => !multiHot.includes(name)),
      multiHot,
      dense: suggested.dense.filter((name) => !multiHot.includes(name)),
    };
  };
}

/**
 * A line of PaddleRec's ESMM/ESCM² samples (models/multitask/esmm/data): `sample_idx,click,conversion,` then
 * `field:feasign` entries, as many as the impression has (about 880 in the shipped ones), no header.
 */
export const PADDLE_LINE = /^[^,:]+,[01],[01](,[0-9]+(_[0-9]+)?:[^,:]+)+$/;

/**
 * Stages PaddleRec's Ali-CCP samples: one column per field, a field with several feasigns (210, the user
 * histories) as a bag of them in the line's order. Its readers keep the first three ids of a field and drop the
 * first entry (the sample's README in shared/datasets); every entry is kept here. models-reference §10.1 lists
 * this layout among Ali-CCP's preprocessed variants.
 */
export async function stageAliCcpPaddle(
  project: Project,
  file: string,
): Promise<{ columns: string[]; roles: (suggested: ColumnRoles) => ColumnRoles }> {
  await checkReadable(file);
  try {
    // One cell per line: the entries hold no tab and no quote.
    await project.run(
      `CREATE TEMP TABLE ${RAW} AS SELECT line FROM read_csv(${literal(file)}, auto_detect = false,
         header = false, delim = '\t', quote = '', escape = '', columns = {'line': 'VARCHAR'})`,
    );
  } catch (error) {
    throw csvError(file, error);
  }
  // A table keeps insertion order, so its rowid is the file's line order.
  await project.run(
    `CREATE TEMP TABLE esmc_paddle AS SELECT rowid + 1 AS __line, string_split(line, ',') AS cells FROM ${RAW}`,
  );
  await project.run(
    `CREATE TEMP TABLE esmc_paddle_entries AS
     SELECT key, split_part(entry, ':', 1) AS field, split_part(entry, ':', 2) AS feature, pos, entry
     FROM (SELECT __line AS key, unnest(cells[4:]) AS entry, generate_subscripts(cells[4:], 1) AS pos FROM esmc_paddle)`,
  );
  const malformed = await project.one(
    `SELECT count(*)::DOUBLE AS n, arg_min(key, (key, pos)) AS line, arg_min(pos, (key, pos)) AS pos,
            arg_min(entry, (key, pos)) AS entry
     FROM esmc_paddle_entries WHERE NOT regexp_full_match(entry, '[0-9]+(_[0-9]+)?:[^:]+')`,
  );
  if (Number(malformed?.n) > 0)
    throw new DataError(
      file,
      Number(malformed!.line),
      Number(malformed!.pos) + 3,
      `feature entries must read field:feasign (PaddleRec's Ali-CCP samples), got ${JSON.stringify(malformed!.entry)} ` +
        `(${Number(malformed!.n)} malformed entries)`,
    );
  const fields = await fieldsIn(project, ['esmc_paddle_entries']);
  await project.run(`CREATE TEMP TABLE esmc_paddle_fields AS ${pivot('esmc_paddle_entries', fields)}`);
  await project.run(
    `CREATE TEMP TABLE ${STAGE} AS
     SELECT p.__line, p.cells[1] AS sample_id, p.cells[2] AS click, p.cells[3] AS purchase,
            ${fields.map((f) => `f.${ident(f)}`).join(', ')}
     FROM esmc_paddle p LEFT JOIN esmc_paddle_fields f ON f.key = p.__line ORDER BY p.__line`,
  );
  // RAW stays, as a text file's does: the preview counts its lines.
  for (const table of ['esmc_paddle_entries', 'esmc_paddle_fields', 'esmc_paddle'])
    await project.run(`DROP TABLE ${table}`);
  const count = await project.one(`SELECT count(*)::DOUBLE AS n FROM ${STAGE}`);
  if (Number(count?.n) === 0) throw new DataError(file, 1, undefined, 'the file has no data rows');
  return { columns: ['sample_id', 'click', 'purchase', ...fields], roles: aliCcpRoles(fields) };
}
