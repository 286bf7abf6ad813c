import type { Project } from '../engine/store/project.js';
import { oneAtATime } from '../jobs/queue.js';

/** Jobs that read and write a project's rows in bulk, as far as DuckDB's memory is concerned. */
export type BulkJob = 'train' | 'import';

/**
 * DuckDB's memory limit is one setting for the whole project file, shared by every job's connection. While a
 * model trains, DuckDB's cache of the rows it read and of the predictions it appends only sits beside the model
 * (a 10M-row epoch: 2.8 GB resident with the default, 1.4 GB capped at 512 MB, equally fast), so a training
 * wants it capped; an import needs the default (a 10M-row import ran out of memory under 1 GB). The limit is
 * capped while trainings run and no import does, and back to the default as soon as one starts.
 */
export class TrainingMemoryCap {
  private readonly running: Record<BulkJob, number> = { train: 0, import: 0 };
  private capped = false;
  /** SET and RESET go out in the order the jobs changed, whichever connection sends them. */
  private readonly inOrder = oneAtATime();

  constructor(readonly limit: string) {}

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

  /** Whether the limit is capped now (what the last change asked for). */
  get isCapped(): boolean {
    return this.capped;
  }

  private apply(connection: Project): Promise<void> {
    const cap = this.running.train > 0 && this.running.import === 0;
    if (cap === this.capped) return Promise.resolve();
    this.capped = cap;
    return this.inOrder(() => connection.setMemoryLimit(cap ? this.limit : undefined));
  }
}
