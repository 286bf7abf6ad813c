/**
 * The worker thread's side of runWorkerTask: one task per thread, so cancelling is ending the thread. The
 * engine modules are imported per task kind, so a simulation does not load tfjs.
 */
import { parentPort, type Transferable } from 'node:worker_threads';
import type { TaskResults, WorkerMessage, WorkerTask } from './tasks.js';

const port = parentPort!;

async function run(task: WorkerTask): Promise<{ result: TaskResults[WorkerTask['kind']]; transfer: Transferable[] }> {
  switch (task.kind) {
    case 'train': {
      const { initBackend } = await import('../engine/backends/index.js');
      const { hasEpochs, predictParts, trainModel } = await import('../engine/run.js');
      const { isRemoteRows, rowsFromPort } = await import('./rows-channel.js');
      const { StopFlag } = await import('./stop-flag.js');
      await initBackend(task.backend);
      const { train } = task.source.parts;
      const source = {
        ...task.source,
        parts: { ...task.source.parts, train: isRemoteRows(train) ? rowsFromPort(train) : train },
      };
      const { model, record, replica } = await trainModel(task.model, source, {
        modelConfig: task.modelConfig,
        trainConfig: task.trainConfig,
        threads: task.threads,
        onEvent: (event) => post({ type: 'train-event', event }),
        ...(task.stop ? { signal: new StopFlag(task.stop) } : {}),
      });
      try {
        if (!hasEpochs(record.training)) return { result: { record }, transfer: [] };
        const predictions = await predictParts(model, source.parts, replica);
        // Moved to the main thread; shared memory (what a replica wrote into) is shared, not moved.
        const buffers = [predictions.rowIds, ...Object.values(predictions.stages)].flatMap((array) =>
          array.buffer instanceof SharedArrayBuffer ? [] : [array.buffer],
        );
        return { result: { record, predictions }, transfer: buffers };
      } finally {
        await replica?.close();
        model.dispose();
      }
    }
    case 'analyse': {
      const { analysePsc } = await import('../engine/psc/index.js');
      return { result: analysePsc(task.input), transfer: [] };
    }
    case 'results': {
      const { computeResults } = await import('../api/results.js');
      return { result: computeResults(task.input), transfer: [] };
    }
    case 'simulate': {
      const { writeSimulation } = await import('../engine/simulate/simulator.js');
      const stats = await writeSimulation(task.config, task.out, {
        format: 'csv',
        onProgress: (rows) => post({ type: 'rows-written', rows }),
      });
      return { result: stats, transfer: [] };
    }
    case 'backend': {
      const { initBackend } = await import('../engine/backends/index.js');
      return { result: await initBackend(task.requested), transfer: [] };
    }
  }
}

function post(message: WorkerMessage, transfer: Transferable[] = []): void {
  port.postMessage(message, transfer);
}

port.once('message', (task: WorkerTask) => {
  run(task).then(
    ({ result, transfer }) => post({ type: 'done', result }, transfer),
    (error: unknown) =>
      post({
        type: 'failed',
        error: {
          name: error instanceof Error ? error.name : 'Error',
          message: error instanceof Error ? error.message : String(error),
        },
      }),
  );
});
