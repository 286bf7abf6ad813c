import { DuckDBDataChunk, type DuckDBType, type DuckDBValue } from '@duckdb/node-api';
import type { Project } from './project.js';

/** DuckDB's vector size: one appended chunk. */
const CHUNK_ROWS = 2048;
/**
 * Chunks appended between two turns of the event loop. Filling a chunk and flushing are synchronous, so a
 * server appending millions of rows (a run's predictions, a split) would otherwise stall for seconds.
 */
const CHUNKS_PER_TURN = 4;

/**
 * Appends `rows` rows to `table` in DuckDB-sized chunks, far faster than one INSERT per row; `columns(start,
 * end)` gives the values of rows [start, end), one array per column in the table's order.
 */
export async function appendRows(
  project: Project,
  table: string,
  types: readonly DuckDBType[],
  rows: number,
  columns: (start: number, end: number) => DuckDBValue[][],
): Promise<void> {
  const appender = await project.connection.createAppender(table);
  try {
    for (let start = 0, chunks = 1; start < rows; start += CHUNK_ROWS, chunks++) {
      const end = Math.min(start + CHUNK_ROWS, rows);
      const chunk = DuckDBDataChunk.create(types, end - start);
      chunk.setColumns(columns(start, end));
      appender.appendDataChunk(chunk);
      if (chunks % CHUNKS_PER_TURN === 0) {
        // Flushing costs what was appended since the last flush: a little at each turn, not all at the end.
        appender.flushSync();
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}
