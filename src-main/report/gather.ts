import { basename, extname } from 'node:path';
import type { RunDetail } from '../../src-shared/api/contract.js';
import { hasResults, type ModelInfo } from '../../src-shared/types/index.js';
import {
  datasetDetail,
  pscAnalysisFor,
  resultsView,
  runDetail,
  type PscAnalysisOptions,
  type ResultsViewOptions,
} from '../api/views.js';
import { isModelName, modelInfo } from '../engine/models/index.js';
import type { Project } from '../engine/store/project.js';
import type { DemoFacts, ReportInput } from './input.js';
import { appVersion } from './installed.js';
import { defaultReportTitle } from './summary.js';

export interface GatherOptions {
  /** Default: the analyst's question on the dataset, "Do purchases bypass the in-shop action? — paper-like". */
  title?: string;
  /** What the demo simulated, when the report is the demo's. */
  demo?: DemoFacts;
  onProgress?(fraction: number, message: string): void;
  signal?: AbortSignal;
  /** Where the results are computed; the API service passes a worker thread so a report never blocks it. */
  compute?: ResultsViewOptions['compute'];
  /** Where the PSC analysis runs; likewise. */
  analyse?: PscAnalysisOptions['analyse'];
}

/** Runs that have predictions to evaluate; the others (failed, cancelled before an epoch) are reported only. */
function hasPredictions(run: RunDetail): boolean {
  return run.record !== null && hasResults(run);
}

/**
 * The report's input from the API's own views (the same functions that answer the UI), so the PDF shows
 * exactly the numbers the app shows. Metrics and the analysis are on the test part of the runs' split.
 */
export async function gatherReportInput(
  project: Project,
  runIds: string[],
  options: GatherOptions = {},
): Promise<ReportInput> {
  const { signal, onProgress, compute, analyse } = options;
  if (runIds.length === 0) throw new Error('a report needs at least one run');
  onProgress?.(0, 'Reading the runs');
  const runs: RunDetail[] = [];
  for (const id of runIds) runs.push(await runDetail(project, id));
  const compared = runs.filter(hasPredictions);
  const datasetName = (compared[0] ?? runs.find((r) => r.dataset !== null))?.dataset ?? null;
  const dataset = datasetName === null ? null : await datasetDetail(project, datasetName);
  signal?.throwIfAborted();
  const ids = compared.map((r) => r.id);
  onProgress?.(0.2, 'Evaluating the runs on the test part');
  const results = ids.length > 0 ? await resultsView(project, ids, 'test', { compute }) : null;
  signal?.throwIfAborted();
  onProgress?.(0.5, 'Analysing Probability Space Confusion');
  const psc =
    ids.length > 0
      ? await pscAnalysisFor(project, ids, 'test', { signal, analyse })
      : { unavailable: 'none of the runs has predictions (every one failed or was cancelled)' };
  const models: ModelInfo[] = [...new Set(runs.map((r) => r.model))].filter(isModelName).map(modelInfo);
  const projectName = basename(project.path, extname(project.path));
  return {
    title: options.title || defaultReportTitle(datasetName, runs.length),
    project: { name: projectName, path: project.path },
    createdAt: new Date().toISOString(),
    appVersion: await appVersion(),
    dataset,
    runs,
    part: 'test',
    results,
    psc,
    models,
    ...(options.demo ? { demo: options.demo } : {}),
  };
}
