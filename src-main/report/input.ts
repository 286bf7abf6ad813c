import type { DatasetDetail, ResultsView, RunDetail } from '../../src-shared/api/contract.js';
import type { ModelInfo, PscAnalysis } from '../../src-shared/types/index.js';

/**
 * Everything a report shows, in the API's own result types, so the PDF holds exactly the numbers the views
 * return (writeReportForRuns gathers it with the API service's view functions).
 */
export interface ReportInput {
  title: string;
  project: { name: string; path: string };
  /** ISO time the report was made. */
  createdAt: string;
  appVersion: string;
  /** The dataset the runs were trained on; null when they did not come from one of the project's datasets. */
  dataset: DatasetDetail | null;
  /** Every run asked for, failed ones included (they are listed with their error). */
  runs: RunDetail[];
  /** The split part the metrics, curves and analysis are on. */
  part: 'validation' | 'test';
  /** Metrics, intervals, comparisons and curves of the runs that have predictions; null when none has. */
  results: ResultsView | null;
  /** The PSC analysis of those runs, or why there is none. */
  psc: PscAnalysis | { unavailable: string };
  /** What each model in the runs is: formula, loss terms, paper. */
  models: ModelInfo[];
  /** Set by `esmc-lab demo`: what it simulated and trained, so the first page can say what the demo shows. */
  demo?: DemoFacts;
}

export interface DemoFacts {
  /** The simulator preset, e.g. paper-like. */
  preset: string;
  /** Simulated exposures. */
  rows: number;
  /** The share of purchases the simulation makes without an in-shop action. */
  pscShare: number;
  models: string[];
}

export function pscAnalysisOf(input: ReportInput): PscAnalysis | null {
  return 'unavailable' in input.psc ? null : input.psc;
}
