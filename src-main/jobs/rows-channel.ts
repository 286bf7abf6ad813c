import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { EncodedDataset } from '../engine/data/dataset.js';
import type { TrainingRows } from '../engine/train/rows.js';

/** What a worker asks of the thread that streams its rows: a new epoch's order, then its batches one by one. */
type RowsRequest = { type: 'epoch'; epoch: number; batchSize: number } | { type: 'next' };
/** One answer per 'next'. */
type RowsAnswer = { type: 'batch'; batch: EncodedDataset } | { type: 'end' } | { type: 'failed'; message: string };

/** What crosses to a worker thread in place of rows streamed from the store: their count and a port to ask on. */
export interface RemoteRows extends Omit<TrainingRows, 'epoch'> {
  port: MessagePort;
}

export function isRemoteRows(value: object): value is RemoteRows {
  return 'port' in value;
}

/**
 * Serves `rows` (streamed from the store, on this thread, which holds the project's connection) to a worker
 * thread batch by batch: `remote` goes to the worker (its port in the transfer list), which reads it with
 * `rowsFromPort`. The training part of a large dataset then never sits in memory whole. `close` ends the
 * stream (resolving once it has); so does the worker's end (its port closes).
 */
export function serveRows(rows: TrainingRows): { remote: RemoteRows; close(): Promise<void> } {
  const { port1: port, port2 } = new MessageChannel();
  let batches: AsyncIterator<EncodedDataset> | undefined;
  let inOrder = Promise.resolve();
  const answer = async (request: RowsRequest): Promise<void> => {
    if (request.type === 'epoch') {
      await batches?.return?.();
      batches = rows.epoch(request.epoch, request.batchSize)[Symbol.asyncIterator]();
      return;
    }
    try {
      if (!batches) throw new Error('no epoch was asked for');
      const next = await batches.next();
      if (next.done) port.postMessage({ type: 'end' } satisfies RowsAnswer);
      // Copied, not moved: a source may hand out arrays it still uses (a batch is ~100 kB).
      else port.postMessage({ type: 'batch', batch: next.value } satisfies RowsAnswer);
    } catch (error) {
      port.postMessage({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
    }
  };
  port.on('message', (request: RowsRequest) => (inOrder = inOrder.then(() => answer(request))));
  // Once the request being answered is: the stream ends before its connection may close.
  const close = async () => {
    port.close();
    await inOrder;
    await batches?.return?.();
  };
  port.on('close', () => void close());
  const remote = { rows: rows.rows, hasActionLabel: rows.hasActionLabel, counts: rows.counts, port: port2 };
  return { remote, close };
}

/**
 * The worker's side: training rows whose batches come over `remote.port`. It asks for the next batch as it
 * hands one out, so the other thread reads from the store while this one trains.
 */
export function rowsFromPort(remote: RemoteRows): TrainingRows {
  const { port } = remote;
  const waiting: ((answer: RowsAnswer) => void)[] = [];
  port.on('message', (answer: RowsAnswer) => waiting.shift()?.(answer));
  const ask = () =>
    new Promise<RowsAnswer>((resolve) => {
      waiting.push(resolve);
      port.postMessage({ type: 'next' } satisfies RowsRequest);
    });
  return {
    rows: remote.rows,
    hasActionLabel: remote.hasActionLabel,
    counts: remote.counts,
    async *epoch(epoch, batchSize) {
      port.postMessage({ type: 'epoch', epoch, batchSize } satisfies RowsRequest);
      let next: Promise<RowsAnswer> | undefined = ask();
      try {
        for (;;) {
          const answer: RowsAnswer = await next;
          next = undefined;
          if (answer.type === 'end') return;
          if (answer.type === 'failed') throw new Error(`Reading the training rows failed: ${answer.message}`);
          next = ask();
          yield answer.batch;
        }
      } finally {
        // Left early (the last step came before the epoch's end): the batch asked for ahead is not the next
        // epoch's, so it is taken and dropped here.
        if (next) await next;
      }
    },
  };
}
