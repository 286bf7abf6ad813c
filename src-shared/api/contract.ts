/**
 * The one API between the renderer and the Node side. Electron IPC (preload) and the browser-mode host
 * (WebSocket) both carry exactly these methods and events; every request is validated against its schema on
 * the Node side before a handler sees it (`dispatch`), so a handler's parameters are already well-formed.
 *
 * Numbers the engine leaves as NaN (a metric that is undefined, e.g. an AUC without positives) cross every
 * transport as null (`toWire`), so views and chart builders treat null as "not available".
 */
import { z } from 'zod';
import type {
  BackendInfo,
  BackendName,
  ColumnRoles,
  DatasetProfile,
  Finding,
  Funnel,
  ModelConfig,
  ModelInfo,
  ModelComparison,
  PrCurve,
  PscAnalysis,
  Reliability,
  RocCurve,
  RunRecord,
  Stage,
  StageMetrics,
  TrainConfig,
  TrainEvent,
  Histogram,
  LearningAssessment,
  ExternalSource,
} from '../types/index.js';
import { BACKEND_NAMES, IMPORT_FORMATS, SIMULATOR_PRESET_NAMES, STAGES } from '../types/index.js';
import type { TrainSettings } from '../types/index.js';
import { checkSetting, MODEL_SETTINGS, TRAIN_SETTINGS, type Setting } from '../settings.js';
import type { ApiErrorInfo } from './errors.js';

// ---------------------------------------------------------------------------------------------------------
// Building blocks of requests

const name = z.string().trim().min(1).max(200);
const runIds = z.array(z.string().min(1)).min(1).max(20);

/**
 * A user's file as the Node side can read it. Electron passes the dropped file's path (never its bytes); the
 * browser host first receives the bytes by an HTTP upload and answers with an upload id.
 */
export const fileRef = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('path'), path: z.string().min(1) }).strict(),
  z.object({ kind: z.literal('upload'), id: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/), name: z.string() }).strict(),
]);
export type FileRef = z.infer<typeof fileRef>;

const columnRoles = z
  .object({
    click: z.string(),
    action: z.array(z.string()),
    purchase: z.string(),
    user: z.string(),
    userFeature: z.boolean(),
    categorical: z.array(z.string()),
    multiHot: z.array(z.string()),
    dense: z.array(z.string()),
    truth: z.array(z.string()),
    ignore: z.array(z.string()),
    timestamp: z.string(),
    item: z.string(),
  })
  .partial()
  .strict();

/** A setting's schema: the declaration's own check, so the API refuses what the CLI and the form refuse, in their words. */
function settingSchema(setting: Setting) {
  return z.custom<unknown>((value) => checkSetting(setting, value) === undefined, {
    error: (issue) => checkSetting(setting, issue.input),
  });
}

/** A group's settings as a nested, partial, strict object (tower.hidden → { tower: { hidden } }). */
function groupSchema(settings: Record<string, Setting>) {
  const shape: Record<string, z.ZodType> = {};
  const nested: Record<string, Record<string, z.ZodType>> = {};
  for (const setting of Object.values(settings)) {
    const [head, leaf] = setting.path.split('.');
    if (leaf === undefined) shape[head] = settingSchema(setting).optional();
    else (nested[head] ??= {})[leaf] = settingSchema(setting).optional();
  }
  for (const [head, fields] of Object.entries(nested)) shape[head] = z.object(fields).strict().optional();
  return z.object(shape).strict();
}

type Nested<T> = { [K in keyof T]?: T[K] extends object ? (T[K] extends unknown[] ? T[K] : Partial<T[K]>) : T[K] };
/** What a request may set of a model's configuration: any field, nested parts (tower, constraint) field by field. */
export type ModelConfigRequest = Nested<ModelConfig>;
export type TrainConfigRequest = Partial<TrainSettings>;

const modelConfig = groupSchema(MODEL_SETTINGS) as unknown as z.ZodType<ModelConfigRequest, ModelConfigRequest>;
const trainConfig = groupSchema(TRAIN_SETTINGS) as unknown as z.ZodType<TrainConfigRequest, TrainConfigRequest>;

const part = z.enum(['validation', 'test']);

// ---------------------------------------------------------------------------------------------------------
// Results

export interface ModelDescription extends ModelInfo {
  /** One line for the model picker. */
  description: string;
}

export interface SimulatorPresetInfo {
  name: (typeof SIMULATOR_PRESET_NAMES)[number];
  description: string;
  pscShare: number;
}

export interface AppInfo {
  version: string;
  /** Which shell serves the API; shown in the status bar, never branched on by views. */
  shell: 'electron' | 'browser';
  /** The backend training will use, with the reasons faster ones were passed over. */
  backend: BackendInfo;
  models: ModelDescription[];
  presets: SimulatorPresetInfo[];
  /** Declared in src-shared/settings.ts; `auto` training values are resolved per dataset (training.plan). */
  defaults: { model: ModelConfig; train: TrainSettings };
  project: ProjectSummary | null;
}

export interface DatasetSummary {
  name: string;
  sourcePath: string;
  format: string;
  sha256: string;
  rows: number;
  importedAt: string;
  funnel: Funnel;
  /** The dataset has the simulator's known per-row probabilities (truth columns). */
  simulated: boolean;
}

export interface DatasetDetail extends DatasetSummary {
  roles: ColumnRoles;
  findings: Finding[];
  profile: DatasetProfile;
}

export interface RunSummary {
  id: string;
  model: string;
  /** 'failed' runs are stored too, with their error, so a report can say what is missing. */
  status: RunRecord['status'] | 'failed';
  dataset: string | null;
  split: string | null;
  startedAt: string;
  backend: BackendInfo | null;
  metrics: { validation?: StageMetrics; test?: StageMetrics };
  /** Did it learn? Absent for runs without results and runs trained before the check existed. */
  learning?: LearningAssessment;
  error?: string;
  /** From its start to its end; null when the project did not record its end. */
  durationMs?: number | null;
  /** The settings it trained with, every `auto` resolved (a failed run's too). */
  modelConfig?: ModelConfig;
  trainConfig?: TrainConfig;
  /** Set for predictions imported from outside the lab (import-predictions): it has no settings or curves. */
  external?: ExternalSource;
  /** Epochs run, and the epoch whose weights it keeps; absent for a failed run. */
  epochsRun?: number;
  bestEpoch?: number | null;
  /** What the analyst wrote on it: a name (in place of the model's in tables), tags and notes. */
  name?: string | null;
  tags?: string[];
  notes?: string;
}

export interface RunDetail extends RunSummary {
  /** Null for a failed run. */
  record: RunRecord | null;
  /** A failed run's curves as far as it trained before it failed. */
  partial?: Pick<RunRecord['training'], 'curve' | 'epochs'>;
}

export interface ProjectSummary {
  path: string;
  name: string;
  datasets: DatasetSummary[];
  runs: RunSummary[];
}

export interface FileInspection {
  file: FileRef;
  fileName: string;
  bytes: number;
  format: (typeof IMPORT_FORMATS)[number];
  columns: string[];
  /** The first rows as text, for the mapping table. */
  sampleRows: string[][];
  suggestedRoles: ColumnRoles;
  /**
   * The import's own checks (roles, labels, numbers, the funnel, constant and id-like columns), run with the
   * suggested roles on the rows in `checked`: on a file read whole, exactly the findings the import will give;
   * otherwise their counts are of the rows read, each message ending "(in the first N rows of the file)".
   */
  findings: Finding[];
  /** How much of the file the findings cover: a large file is checked on its first rows only. */
  checked: {
    /** Data rows the checks read (for Taobao UserBehavior, events); 0 for raw Ali-CCP, checked once imported. */
    rows: number;
    /** Whether they are the whole file. */
    wholeFile: boolean;
    /** When not: what only the import, which reads the whole file, can settle (e.g. whether a column is constant). */
    needWholeFile: string[];
  };
}

export type CurveStage = 'ctr' | 'cvr' | 'ctcvr';

export interface StageCurves {
  runId: string;
  model: string;
  stage: CurveStage;
  /** Sampled to at most a few hundred points; the AUC is computed on every row. */
  roc: RocCurve;
  pr: PrCurve;
  reliability: Reliability;
  /** Score distributions of the positive and negative rows, on the same edges. */
  scores: { positive: Histogram; negative: Histogram };
}

/** What a training would do on a dataset, before it starts: the Train view shows it beside the Start button. */
export interface TrainingPlan {
  dataset: string;
  /** Rows of the training part: the stored split's, or what the default split would give (splitStored false). */
  trainRows: number;
  splitStored: boolean;
  /** The settings every model would train with: `auto` values resolved, each with its reason (config.auto). */
  config: TrainConfig;
  /** What the data can support: stages it cannot test, AUC intervals too wide to rank models. */
  findings: Finding[];
}

export interface ResultsView {
  dataset: string;
  part: z.infer<typeof part>;
  runs: RunSummary[];
  /** Metrics on `part`, per run id, with 95% intervals where the metric has one (AUCs: DeLong). */
  metrics: Record<string, StageMetrics>;
  intervals: Record<string, Record<string, [number, number]>>;
  /** Every pair of runs, DeLong-tested on cvr_auc and ctcvr_auc. */
  comparison: ModelComparison;
  curves: StageCurves[];
}

export interface StageRow {
  rowId: number;
  labels: { click: number; action: number | null; purchase: number };
  /** The simulator's true probabilities, when the data has them. */
  truth: Partial<Record<Stage, number>> | null;
  /** Per run id, every stage the model has. */
  stages: Record<string, Partial<Record<Stage, number>>>;
  /** The row's feature values as imported (only in `stages.row`). */
  features?: Record<string, string | number | null>;
  /** The row's value of each derived column (RowsPage.derived), by its key. */
  derived?: Record<string, number | null>;
}

/**
 * A column computed from the runs' probabilities: "gap:<runId>", a constrained run's pCVR minus the first
 * chained run's full chain (the PSC view's Δ, row by row), or "error:<runId>", a run's pCVR minus the true one.
 */
export interface DerivedColumn {
  key: string;
  label: string;
  /** What it is, for a header's title. */
  about: string;
}

export interface RowsPage {
  /** The derived columns the runs asked for have, in the order they are shown. */
  derived: DerivedColumn[];
  total: number;
  offset: number;
  rows: StageRow[];
}

export interface JobRef {
  jobId: string;
}

/** Rows written to a file the shell hands out like a report (a download, or opened). */
export interface ExportResult {
  path: string;
  fileId: string;
  format: 'csv' | 'parquet';
  rows: number;
  bytes: number;
}

export interface ReportResult {
  /** Where the PDF was written on the Node side. */
  path: string;
  /** For `files.open` (Electron) and the browser host's download route. */
  fileId: string;
  pages: number;
  bytes: number;
  seconds: number;
}

// ---------------------------------------------------------------------------------------------------------
// The methods

const rowFilter = z
  .object({
    click: z.union([z.literal(0), z.literal(1)]),
    action: z.union([z.literal(0), z.literal(1)]),
    purchase: z.union([z.literal(0), z.literal(1)]),
    /** Clicked purchases without an action: the rows the chain rule cannot explain. */
    pscOnly: z.boolean(),
  })
  .partial()
  .strict();

/** Rows whose value of a column (any sort key) lies in [min, max]; either bound may be left out. */
const columnRange = z
  .object({ key: z.string().min(1), min: z.number().optional(), max: z.number().optional() })
  .strict()
  .refine((range) => range.min === undefined || range.max === undefined || range.min <= range.max, {
    message: 'min must not be above max',
  });

/** Which rows of which runs, in which order: the same for a page of the Stages view and for its export. */
const rowsQuery = {
  runIds,
  part: part.optional(),
  filter: rowFilter.optional(),
  ranges: z.array(columnRange).max(8).optional(),
  /** A stage of the first run ("cvr"), "<runId>:<stage>", "truth:<stage>", a derived key, or a label. */
  sort: z
    .object({ key: z.string().min(1), descending: z.boolean() })
    .strict()
    .optional(),
};

/**
 * Each method: its parameter schema and its result type. Long work (import, simulate, train, analyse,
 * report) answers at once with a job id; its progress, result or error arrive as `job` events.
 */
export const PARAMS = {
  'app.info': z.object({}).strict(),
  'project.open': z.object({ path: z.string().min(1), create: z.boolean().optional() }).strict(),
  'project.current': z.object({}).strict(),
  'files.inspect': z.object({ file: fileRef, format: z.enum(IMPORT_FORMATS).optional() }).strict(),
  /** Opens a file the Node side wrote (a report) with the system's viewer; the browser host downloads it instead. */
  'files.open': z.object({ fileId: z.string().min(1) }).strict(),
  'datasets.list': z.object({}).strict(),
  'datasets.get': z.object({ name }).strict(),
  'datasets.import': z
    .object({
      file: fileRef,
      name: name.optional(),
      format: z.enum(IMPORT_FORMATS).optional(),
      roles: columnRoles.optional(),
      funnelPolicy: z.enum(['drop', 'keep', 'fail']).optional(),
      replace: z.boolean().optional(),
    })
    .strict(),
  /** A file of per-row probabilities made outside the lab becomes an external run of `dataset` (see import-predictions). */
  'runs.importPredictions': z
    .object({
      file: fileRef,
      dataset: name,
      name: z.string().trim().min(1).max(200),
      keys: z.array(z.string().min(1)).min(1).optional(),
      split: name.optional(),
    })
    .strict(),
  'datasets.simulate': z
    .object({
      preset: z.enum(SIMULATOR_PRESET_NAMES),
      rows: z.number().int().min(1000).max(20_000_000),
      pscShare: z.number().min(0).max(0.95).optional(),
      seed: z.number().int().optional(),
      name: name.optional(),
    })
    .strict(),
  'training.start': z
    .object({
      dataset: name,
      models: z.array(z.string().min(1)).min(1).max(10),
      modelConfig: modelConfig.optional(),
      trainConfig: trainConfig.optional(),
      backend: z.enum(BACKEND_NAMES).optional(),
    })
    .strict(),
  'training.plan': z.object({ dataset: name, trainConfig: trainConfig.optional() }).strict(),
  'runs.list': z.object({}).strict(),
  'runs.get': z.object({ id: z.string().min(1) }).strict(),
  /** What the analyst writes on a run; a field left out stays as it is, an empty name clears it. */
  'runs.update': z
    .object({
      id: z.string().min(1),
      name: z.string().trim().max(80).nullable().optional(),
      tags: z.array(z.string().trim().min(1).max(40)).max(20).optional(),
      notes: z.string().max(4000).optional(),
    })
    .strict(),
  /** Deletes the runs and every row of their predictions, all or nothing. */
  'runs.delete': z.object({ ids: z.array(z.string().min(1)).min(1) }).strict(),
  'results.compare': z.object({ runIds, part: part.optional() }).strict(),
  'psc.analyse': z.object({ runIds, part: part.optional() }).strict(),
  'stages.rows': z
    .object({ ...rowsQuery, offset: z.number().int().min(0), limit: z.number().int().min(1).max(500) })
    .strict(),
  /** Every row the query selects (any number), written by DuckDB as it reads them: a job. */
  'stages.export': z.object({ ...rowsQuery, format: z.enum(['csv', 'parquet']) }).strict(),
  'stages.row': z.object({ runIds, rowId: z.number().int().min(0) }).strict(),
  'report.create': z
    .object({
      runIds,
      pageSize: z.enum(['A4', 'Letter']).optional(),
      title: z.string().max(200).optional(),
    })
    .strict(),
  'jobs.list': z.object({}).strict(),
  /** The whole job, or one part of it: `model` stops one model of a training, which keeps its best epoch. */
  'jobs.cancel': z.object({ jobId: z.string().min(1), model: z.string().min(1).optional() }).strict(),
} as const;

/** What each method answers. */
export interface Results {
  'app.info': AppInfo;
  'project.open': ProjectSummary;
  'project.current': ProjectSummary | null;
  'files.inspect': FileInspection;
  'files.open': { opened: boolean };
  'datasets.list': DatasetSummary[];
  'datasets.get': DatasetDetail;
  'datasets.import': JobRef;
  'datasets.simulate': JobRef;
  'training.start': JobRef;
  'training.plan': TrainingPlan;
  'runs.list': RunSummary[];
  'runs.get': RunDetail;
  'runs.update': RunSummary;
  'runs.delete': { deleted: number };
  'runs.importPredictions': JobRef;
  'results.compare': ResultsView;
  'psc.analyse': JobRef;
  'stages.rows': RowsPage;
  'stages.export': JobRef;
  'stages.row': StageRow;
  'report.create': JobRef;
  'jobs.list': JobInfo[];
  'jobs.cancel': JobInfo;
}

export type Method = keyof typeof PARAMS & keyof Results;
export const METHODS = Object.keys(PARAMS) as Method[];
/** What a caller may send (defaults and optional fields unfilled). */
export type Params<M extends Method> = z.input<(typeof PARAMS)[M]>;
/** What a handler receives, after validation. */
export type ValidParams<M extends Method> = z.output<(typeof PARAMS)[M]>;
export type Result<M extends Method> = Results[M];

// Every method has a schema and a result type: a method added to one list only fails to compile here.
type SameKeys<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const everyMethodHasSchemaAndResult: SameKeys<keyof typeof PARAMS, keyof Results> = true;
void everyMethodHasSchemaAndResult;

export function isMethod(value: unknown): value is Method {
  return typeof value === 'string' && Object.hasOwn(PARAMS, value);
}

// ---------------------------------------------------------------------------------------------------------
// Jobs and events

/** What each kind of job yields when it is done. */
export interface JobResults {
  import: DatasetDetail;
  importPredictions: RunSummary;
  simulate: DatasetDetail;
  train: RunSummary[];
  analyse: PscAnalysis;
  report: ReportResult;
  export: ExportResult;
}
export type JobKind = keyof JobResults;

export type JobState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

export interface JobInfo<K extends JobKind = JobKind> {
  id: string;
  kind: K;
  /** What the job does, in words ("Train esmm, esmc on paper-like"). */
  title: string;
  state: JobState;
  /** 0..1. */
  progress: number;
  /** The current step, in words. */
  message: string;
  startedAt: string;
  finishedAt?: string;
  result?: JobResults[K];
  error?: ApiErrorInfo;
}

/**
 * Where one model of a training job is: waiting for a worker, training, storing its run, or ended — stored
 * (trained to its end or early-stopped), cancelled (stored when it had begun: its curves, and its best epoch
 * when one finished), or failed (stored with its error).
 */
export type ModelJobState = 'queued' | 'training' | 'storing' | 'stored' | 'cancelled' | 'failed';

/** What a training job says of one model: its state, its rows and plan, and the trainer's own events. */
export type TrainingJobEvent =
  | TrainEvent
  /** The rows it trains on (the training part) and the epochs planned, for the time left. */
  | { type: 'loaded'; rows: number; epochs: number; maxSteps?: number }
  | { type: 'state'; state: ModelJobState; runId?: string; error?: string };

export type ApiEvent =
  /** A job was created, progressed, or finished. */
  | { type: 'job'; job: JobInfo }
  /** One model's training progress inside a `train` job, for the live curves. */
  | { type: 'train'; jobId: string; model: string; event: TrainingJobEvent }
  /** Datasets or runs changed (an import or a training finished, another project opened). */
  | { type: 'project'; project: ProjectSummary | null }
  /** Electron only: the user chose a data file in File › Import data…; the Data view inspects and imports it. */
  | { type: 'import-file'; file: FileRef }
  /**
   * Electron only: the computation process stopped unexpectedly ('stopped'; pending calls and running jobs
   * failed) and is back ('restarted'), or stopped too often to be restarted again ('given-up').
   */
  | { type: 'service'; state: 'stopped' | 'restarted' | 'given-up'; message: string };

export { STAGES };
export type { BackendName };
