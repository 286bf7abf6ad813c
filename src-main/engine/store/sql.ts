/**
 * SQL text helpers. Column names come from users' files (Ali-CCP's are numbers like "101", others have spaces),
 * so every identifier is quoted; values that cannot be bound as parameters (file paths inside table functions,
 * option lists) are quoted as literals.
 */

export function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function literal(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** A constant list of texts. */
export function textList(values: readonly string[]): string {
  return `[${values.map(literal).join(', ')}]::VARCHAR[]`;
}

/** A cell that the CSV loader treats as missing (roles.ts `isMissing`), written as a SQL predicate. */
export function isMissingSql(expression: string): string {
  // A CASE, not IN (…): DuckDB plans an IN list as a join, and a join in a copy loses the rows' order
  // (importers/parsed.ts).
  return `(${expression} IS NULL OR (CASE lower(trim(${expression})) WHEN '' THEN true WHEN 'na' THEN true
          WHEN 'nan' THEN true WHEN 'null' THEN true WHEN 'none' THEN true ELSE false END))`;
}

/**
 * A cell as a number, NULL when it is missing (isMissingSql) or not a number. DuckDB reads "NaN" as a number
 * (not a number), which its statistics refuse: the missing spellings are NULL before the cast. A cell that casts
 * to a finite number is one (the cast allows the spaces trim would remove), and only the others are looked at
 * twice: nearly every cell of a file takes the first branch, at half the cost of testing for missing first.
 */
export function numberSql(expression: string): string {
  return `(CASE WHEN isfinite(TRY_CAST(${expression} AS DOUBLE)) THEN TRY_CAST(${expression} AS DOUBLE)
          WHEN ${isMissingSql(expression)} THEN NULL ELSE TRY_CAST(trim(${expression}) AS DOUBLE) END)`;
}

/**
 * A cell read once for every later use (importers/parsed.ts): its number, NULL when missing, and NaN when it is
 * there but not a finite number, so that a check can tell a bad cell from a missing one without its text.
 */
export function parsedNumberSql(expression: string): string {
  return `(CASE WHEN isfinite(TRY_CAST(${expression} AS DOUBLE)) THEN TRY_CAST(${expression} AS DOUBLE)
          WHEN ${isMissingSql(expression)} THEN NULL ELSE 'NaN'::DOUBLE END)`;
}

/**
 * A 0/1 label the CSV loader accepts ('0', '1', and pandas' '0.0' / '1.0'); NULL for anything else. The plain
 * spellings are matched before trimming, which is most of the cost.
 */
export function labelSql(expression: string): string {
  return `(CASE ${expression} WHEN '0' THEN 0 WHEN '1' THEN 1 ELSE
          (CASE trim(${expression}) WHEN '0' THEN 0 WHEN '0.0' THEN 0 WHEN '1' THEN 1 WHEN '1.0' THEN 1 END) END)`;
}

/** The SQL twin of `hashBucket` in data/encode.ts; both must give the same id for every value. */
export function hashBucketSql(expression: string, buckets: number): string {
  return `((('0x' || left(md5(${expression}), 15))::BIGINT % ${buckets}) + 1)::INTEGER`;
}
