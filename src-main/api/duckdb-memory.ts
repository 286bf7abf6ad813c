import type { Project } from '../engine/store/project.js';
import { oneAtATime } from '../jobs/queue.js';
import { IMPORT_DUCKDB_MEMORY } from '../engine/importers/import.js';

/** Jobs that read and write a project's rows in bulk, as far as DuckDB's memory is concerned. */
export type BulkJob = 'train' | 'import';

/**
 * DuckDB's memory limit is one setting for the whole project file, shared by every job's connection. While a
 * model trains, DuckDB's cache of the rows it read and of the predictions it appends only sits beside the model
 * (a 10M-row epoch: 2.8 GB resident with the default, 1.4 GB capped at 512 MB, equally fast), so a training wants
 * it capped at `limit`; an import runs at `importLimit` (it spills what does not fit, see importDataset), which
 * wins while one runs, since an import's joins and sorts need more than a training's scans. With no bulk job, the
 * default.
 */
export class TrainingMemoryCap {
  private readonly running: Record<BulkJob, number> = { train: 0, import: 0 };
  private current: string | undefined;
  /** SET and RESET go out in the order the jobs changed, whichever connection sends them. */
  private readonly inOrder = oneAtATime();

  constructor(
    readonly limit: string,
    readonly importLimit: string = IMPORT_DUCKDB_MEMORY,
  ) {}

  async during<T>(job: BulkJob, connection: Project, work: () => Promise<T>): Promise<T> {
    this.running[job]++;
    await this.apply(connection);
    try {
      return await work();
    } finally {
      this.running[job]--;
      await this.apply(connection).catch(() => undefined);
    }
  }

  /** Whether the training cap is in force now (what the last change asked for). */
  get isCapped(): boolean {
    return this.current === this.limit && this.running.import === 0;
  }

  private apply(connection: Project): Promise<void> {
    const wanted = this.running.import > 0 ? this.importLimit : this.running.train > 0 ? this.limit : undefined;
    if (wanted === this.current) return Promise.resolve();
    this.current = wanted;
    return this.inOrder(() => connection.setMemoryLimit(wanted));
  }
}
