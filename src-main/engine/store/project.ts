import { rm } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { removeDeadPartials } from '../files.js';
import { literal } from './sql.js';
import { DuckDBInstance, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import type { FeatureEncoding, Finding } from '../data/encode.js';
import type { ColumnRoles } from '../data/roles.js';
import type { DatasetProfile } from './profile.js';
import { ident } from './sql.js';

/**
 * The layout this build reads and writes. Bump it with every change to the tables below and add the step from
 * the previous version to MIGRATIONS, so that projects written by older builds keep opening.
 */
export const SCHEMA_VERSION = 2;

/** Statements that take a project from version `from` to `from + 1`. */
const MIGRATIONS: { from: number; statements: string[] }[] = [
  {
    // v2: what an analyst writes on a run (a name, tags, notes).
    from: 1,
    statements: [
      `ALTER TABLE runs ADD COLUMN name VARCHAR`,
      `ALTER TABLE runs ADD COLUMN tags VARCHAR[] DEFAULT []`,
      `ALTER TABLE runs ADD COLUMN notes VARCHAR DEFAULT ''`,
    ],
  },
];

const SCHEMA = [
  `CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)`,
  `CREATE SEQUENCE dataset_ids START 1`,
  `CREATE TABLE datasets (
     id INTEGER PRIMARY KEY,
     name VARCHAR NOT NULL UNIQUE,
     table_name VARCHAR NOT NULL,
     source_path VARCHAR NOT NULL,
     format VARCHAR NOT NULL,
     sha256 VARCHAR NOT NULL,
     rows BIGINT NOT NULL,
     imported_at TIMESTAMP NOT NULL,
     roles JSON NOT NULL,
     encoding JSON NOT NULL,
     findings JSON NOT NULL,
     profile JSON NOT NULL)`,
  `CREATE TABLE split_info (
     dataset VARCHAR NOT NULL,
     split VARCHAR NOT NULL,
     kind VARCHAR NOT NULL,
     seed INTEGER,
     fractions JSON NOT NULL,
     counts JSON NOT NULL,
     created_at TIMESTAMP NOT NULL,
     PRIMARY KEY (dataset, split))`,
  // No key on the per-row tables: an index would slow every bulk insert of millions of rows.
  `CREATE TABLE splits (dataset VARCHAR NOT NULL, split VARCHAR NOT NULL, row_id INTEGER NOT NULL, part VARCHAR NOT NULL)`,
  `CREATE TABLE runs (
     id VARCHAR PRIMARY KEY,
     dataset VARCHAR,
     split VARCHAR,
     model VARCHAR NOT NULL,
     config JSON NOT NULL,
     seed INTEGER,
     data_sha256 VARCHAR,
     backend JSON,
     status VARCHAR NOT NULL,
     curves JSON,
     metrics JSON,
     started_at TIMESTAMP,
     finished_at TIMESTAMP,
     name VARCHAR,
     tags VARCHAR[] DEFAULT [],
     notes VARCHAR DEFAULT '')`,
  `CREATE TABLE predictions (
     run_id VARCHAR NOT NULL,
     row_id INTEGER NOT NULL,
     ctr DOUBLE, avr DOUBLE, cvr DOUBLE, ctavr DOUBLE, ctcvr DOUBLE,
     buy_given_action DOUBLE, buy_given_no_action DOUBLE)`,
  `CREATE TABLE reports (
     id VARCHAR PRIMARY KEY,
     path VARCHAR NOT NULL,
     created_at TIMESTAMP NOT NULL,
     runs VARCHAR[] NOT NULL,
     metadata JSON NOT NULL)`,
];

/** How long opening a project waits for another process to let go of the file. */
const LOCK_WAIT_MS = 3000;

/** A project file that cannot be opened as it is; the message says why and what to do. */
export class ProjectError extends Error {
  override readonly name = 'ProjectError';
}

/** One imported dataset as the `datasets` table describes it; the rows live in `tableName`. */
export interface DatasetInfo {
  id: number;
  name: string;
  tableName: string;
  sourcePath: string;
  format: string;
  sha256: string;
  rows: number;
  importedAt: string;
  roles: ColumnRoles;
  encoding: FeatureEncoding;
  findings: Finding[];
  profile: DatasetProfile;
}

export type Row = Record<string, unknown>;

/** An open project: one DuckDB file and one connection, used by one caller at a time. */
/** Where a project's reports are written: beside it, named after it. */
export function reportsOf(projectPath: string): string {
  return join(dirname(projectPath), `${basename(projectPath, extname(projectPath))}-reports`);
}

/** Where rows exported from the Stages view are written: beside the project, named after it. */
export function exportsOf(projectPath: string): string {
  return join(dirname(projectPath), `${basename(projectPath, extname(projectPath))}-exports`);
}

export class Project {
  private inTransaction = false;

  private constructor(
    readonly path: string,
    private readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection,
    /** Whether close() also closes the file: the handle open() made does, those from connect() do not. */
    private readonly ownsInstance = true,
  ) {}

  static async open(path: string, options: { lockWaitMs?: number } = {}): Promise<Project> {
    let instance: DuckDBInstance;
    // Another process that holds the file may be about to let it go (a CLI command ending): wait a moment.
    const giveUpAt = Date.now() + (options.lockWaitMs ?? LOCK_WAIT_MS);
    for (;;) {
      try {
        instance = await DuckDBInstance.create(path);
        break;
      } catch (error) {
        const holder = /Could not set lock on file[^]*?PID (\d+)/.exec(String(error));
        if (holder && Date.now() < giveUpAt) {
          await new Promise((resolve) => setTimeout(resolve, 250));
          continue;
        }
        if (holder)
          throw new ProjectError(
            `${path} is open in another program (process ${holder[1]}, another ESMC Lab or a DuckDB client); ` +
              'close it there and try again, or open a copy of the file',
          );
        throw new ProjectError(`cannot open project ${path}: ${firstLine(error)}`);
      }
    }
    // Spill files a process killed mid-query left in DuckDB's temporary folder: this process holds the file's
    // lock now, so no query of another one can be using them.
    if (path !== ':memory:') await rm(`${path}.tmp`, { recursive: true, force: true });
    // Likewise the partial reports and exports beside it (`<project>-reports/`, `<project>-exports/`) whose writer
    // was killed mid-write: whoever opens the project (the app, any CLI command) finds them gone, as docs/data.md says.
    if (path !== ':memory:') await Promise.all([reportsOf(path), exportsOf(path)].map(removeDeadPartials));
    const project = new Project(path, instance, await instance.connect());
    try {
      await project.prepareSchema();
    } catch (error) {
      project.close();
      throw error;
    }
    return project;
  }

  close(): void {
    this.connection.closeSync();
    if (this.ownsInstance) this.instance.closeSync();
  }

  /**
   * Another handle on the same open file with its own connection, so long work (an import, a training's
   * reads and saves) runs beside quick reads: each connection has its own transaction, temporary tables and
   * result streams. Closing it closes only its connection; close it before the handle it came from.
   */
  async connect(): Promise<Project> {
    return new Project(this.path, this.instance, await this.instance.connect(), false);
  }

  async run(sql: string, params?: DuckDBValue[]): Promise<void> {
    await this.connection.run(sql, params);
  }

  /**
   * Runs `work` with DuckDB's buffer pool capped at `limit`, then back at DuckDB's default. DuckDB keeps up to
   * 80% of the machine's memory as cache by default, which training, that only scans batches and appends
   * predictions, turns into resident memory beside the model (one epoch over 10M stored rows peaked at 2.8 GB, and
   * at 1.2 GB capped at 512 MB, equally fast); an import spills what does not fit its limit to the temp folder.
   */
  async withMemoryLimit<T>(limit: string, work: () => Promise<T>): Promise<T> {
    await this.setMemoryLimit(limit);
    try {
      return await work();
    } finally {
      await this.setMemoryLimit(undefined);
    }
  }

  /** DuckDB's memory limit for the whole file (every connection to it); undefined restores the default. */
  setMemoryLimit(limit: string | undefined): Promise<void> {
    return this.run(limit === undefined ? 'RESET memory_limit' : `SET memory_limit = ${literal(limit)}`);
  }

  /** Rows as plain objects; BIGINT and HUGEINT arrive as bigint, so cast counts to INTEGER or DOUBLE in SQL. */
  async all(sql: string, params?: DuckDBValue[]): Promise<Row[]> {
    const reader = await this.connection.runAndReadAll(sql, params);
    return reader.getRowObjectsJS() as Row[];
  }

  async one(sql: string, params?: DuckDBValue[]): Promise<Row | undefined> {
    return (await this.all(sql, params))[0];
  }

  /**
   * Runs `work` in one transaction: all of its writes land, or none do. An abort interrupts the running
   * statement and rolls back; the abort reason is what the caller gets.
   */
  async transaction<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (this.inTransaction) throw new Error('transactions do not nest; run this inside the open one');
    signal?.throwIfAborted();
    const interrupt = () => this.connection.interrupt();
    signal?.addEventListener('abort', interrupt);
    this.inTransaction = true;
    await this.run('BEGIN TRANSACTION');
    try {
      const result = await work();
      signal?.throwIfAborted();
      await this.run('COMMIT');
      return result;
    } catch (error) {
      await this.run('ROLLBACK').catch(() => undefined);
      signal?.throwIfAborted();
      throw error;
    } finally {
      this.inTransaction = false;
      signal?.removeEventListener('abort', interrupt);
    }
  }

  async datasets(): Promise<DatasetInfo[]> {
    return (await this.all(`${DATASET_SELECT} ORDER BY id`)).map(datasetInfo);
  }

  async findDataset(name: string): Promise<DatasetInfo | undefined> {
    const row = await this.one(`${DATASET_SELECT} WHERE name = $1`, [name]);
    return row && datasetInfo(row);
  }

  /** The dataset, or an error that lists the ones the project has. */
  async dataset(name: string): Promise<DatasetInfo> {
    const found = await this.findDataset(name);
    if (found) return found;
    const names = (await this.datasets()).map((d) => d.name);
    throw new ProjectError(
      `project ${this.path} has no dataset "${name}"; ` +
        (names.length > 0 ? `it has ${names.join(', ')}` : 'it has none yet (esmc-lab import)'),
    );
  }

  /** Removes a dataset with its rows and splits, in one transaction. Runs that used it keep their records. */
  async dropDataset(name: string): Promise<void> {
    const info = await this.dataset(name);
    await this.transaction(async () => {
      await this.run(`DROP TABLE ${ident(info.tableName)}`);
      await this.run('DELETE FROM splits WHERE dataset = $1', [name]);
      await this.run('DELETE FROM split_info WHERE dataset = $1', [name]);
      await this.run('DELETE FROM datasets WHERE id = $1', [info.id]);
    });
  }

  /** Names of the tables in the project file, for checks and for people exploring it. */
  async tables(): Promise<string[]> {
    const rows = await this.all(
      `SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND NOT temporary ORDER BY 1`,
    );
    return rows.map((row) => String(row.table_name));
  }

  async schemaVersion(): Promise<number> {
    const row = await this.one(`SELECT value FROM meta WHERE key = 'schema_version'`);
    const version = Number(row?.value);
    if (!Number.isInteger(version))
      throw new ProjectError(`${this.path}: the meta table has no valid schema_version ("${String(row?.value)}")`);
    return version;
  }

  private async prepareSchema(): Promise<void> {
    const tables = await this.tables();
    if (tables.length === 0) {
      await this.transaction(async () => {
        for (const statement of SCHEMA) await this.run(statement);
        await this.run(`INSERT INTO meta VALUES ('schema_version', $1), ('created_by', 'esmc-lab')`, [
          String(SCHEMA_VERSION),
        ]);
      });
      return;
    }
    if (!tables.includes('meta'))
      throw new ProjectError(
        `${this.path} is a DuckDB database but not an ESMC Lab project (it has no meta table); choose a new file`,
      );
    const version = await this.schemaVersion();
    if (version > SCHEMA_VERSION)
      throw new ProjectError(
        `${this.path} was written by a newer ESMC Lab (project schema v${version}); this version reads ` +
          `schema v${SCHEMA_VERSION} and older. Update ESMC Lab to open it.`,
      );
    if (version < SCHEMA_VERSION) await this.migrate(version);
  }

  private async migrate(from: number): Promise<void> {
    const steps: string[] = [];
    for (let version = from; version < SCHEMA_VERSION; version++) {
      const step = MIGRATIONS.find((m) => m.from === version);
      if (!step)
        throw new ProjectError(
          `${this.path} has project schema v${from}, which this version of ESMC Lab cannot migrate to ` +
            `v${SCHEMA_VERSION}; import its data into a new project`,
        );
      steps.push(...step.statements);
    }
    await this.transaction(async () => {
      for (const statement of steps) await this.run(statement);
      await this.run(`UPDATE meta SET value = $1 WHERE key = 'schema_version'`, [String(SCHEMA_VERSION)]);
    });
  }
}

/** Creates the project file (and its tables) when it does not exist; otherwise opens and, if needed, migrates it. */
export function openProject(path: string): Promise<Project> {
  return Project.open(path);
}

const DATASET_SELECT = `SELECT id, name, table_name, source_path, format, sha256, rows::DOUBLE AS rows,
  strftime(imported_at, '%Y-%m-%dT%H:%M:%S.%gZ') AS imported_at, roles::VARCHAR AS roles,
  encoding::VARCHAR AS encoding, findings::VARCHAR AS findings, profile::VARCHAR AS profile FROM datasets`;

function datasetInfo(row: Row): DatasetInfo {
  return {
    id: Number(row.id),
    name: String(row.name),
    tableName: String(row.table_name),
    sourcePath: String(row.source_path),
    format: String(row.format),
    sha256: String(row.sha256),
    rows: Number(row.rows),
    importedAt: String(row.imported_at),
    roles: JSON.parse(String(row.roles)) as ColumnRoles,
    encoding: JSON.parse(String(row.encoding)) as FeatureEncoding,
    findings: JSON.parse(String(row.findings)) as Finding[],
    profile: JSON.parse(String(row.profile)) as DatasetProfile,
  };
}

export function firstLine(error: unknown): string {
  return String((error as Error).message ?? error).split('\n')[0];
}
