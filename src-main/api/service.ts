/**
 * The Node side of the API: every method of the contract over the engine, for any shell. The browser host
 * carries it over a WebSocket and the Electron shell over IPC; neither is known here. Quick reads answer
 * at once, each on a connection of its own; long work (import, simulate, train, analyse, report) runs as a
 * job, on worker threads where it computes, so the API stays responsive while it runs.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, realpath, rm, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, dirname, extname, join, resolve, sep } from 'node:path';
import { SKELETON_PATTERN } from '../engine/importers/aliccp-raw.js';
import { importDataset } from '../engine/importers/import.js';
import { MODELS, MODEL_NAMES, isModelName, modelInfo } from '../engine/models/index.js';
import { SIMULATOR_PRESETS, validateConfig, type SimulatorConfig } from '../engine/simulate/simulator.js';
import { exportsOf, openProject, reportsOf, type Project } from '../engine/store/project.js';
import { findReport, saveReport } from '../engine/store/reports.js';
import { annotateRun, deleteRuns, readRun } from '../engine/store/runs.js';
import { importPredictions } from '../engine/importers/predictions.js';
import { claimFile, labFileName } from '../report/file-name.js';
import { irregularFile } from '../engine/files.js';
import { JobManager, type JobContext } from '../jobs/manager.js';
import { oneAtATime } from '../jobs/queue.js';
import { runTraining } from '../jobs/training.js';
import { TRAINING_DUCKDB_MEMORY } from '../engine/run.js';
import { TrainingMemoryCap, type BulkJob } from './duckdb-memory.js';
import { runWorkerTask, WorkerSlots } from '../jobs/workers.js';
import { ApiError } from '../../src-shared/api/errors.js';
import type { ApiHandlers } from '../../src-shared/api/dispatch.js';
import { mergeSettings } from '../../src-shared/settings.js';
import type {
  ApiEvent,
  AppInfo,
  FileRef,
  JobInfo,
  JobKind,
  JobResults,
  ModelDescription,
  ProjectSummary,
  ReportResult,
  SimulatorPresetInfo,
} from '../../src-shared/api/contract.js';
import {
  DEFAULT_MODEL_CONFIG,
  DEFAULT_TRAIN_SETTINGS,
  type BackendInfo,
  type BackendName,
  type ImportFormat,
} from '../../src-shared/types/index.js';
import { asUserFile, invalid, notFound, serviceError } from './errors.js';
import { inspectFile } from './inspect.js';
import { openExternally } from './open-externally.js';
import {
  comparedRuns,
  datasetDetail,
  datasetSummary,
  findDataset,
  pscAnalysisFor,
  resultsView,
  runSummaries,
  runSummary,
  runDetail,
  stageRow,
  stageRows,
  exportStageRows,
  trainingPlan,
  type PscAnalysisOptions,
  type ResultsViewOptions,
} from './views.js';

export interface ApiServiceOptions {
  /** Opened (created when missing) at start; without it the API answers 'no-project' until project.open. */
  projectPath?: string;
  shell: 'electron' | 'browser';
  /** The backend training uses unless a request names one; default the fastest that starts. */
  backend?: BackendName;
  /** Worker threads at most across all jobs (one model each); default the number of cores. */
  workers?: number;
  /**
   * Whether requests may name files on this machine by path (FileRef 'path', project.open). Default true; a
   * browser host reachable from other machines turns it off, so a remote user can only upload.
   */
  localPaths?: boolean;
  /**
   * Training parts of more rows than this stream to the training threads from the store, batch by batch,
   * instead of being held in memory; default 2M (STREAM_ABOVE_ROWS).
   */
  streamTrainingAbove?: number;
}

/** Files the service reads and writes for the shell: uploads it receives, reports it wrote. */
export interface ServiceFiles {
  /** Registers an upload of `name` and says where to write its bytes (a new file in the project's folder). */
  newUpload(name: string): Promise<{ id: string; path: string }>;
  /** The upload is complete: FileRefs may name it from now on. */
  completeUpload(id: string): FileRef;
  /** The upload failed: its file is removed and its id forgotten. */
  discardUpload(id: string): Promise<void>;
  /** A file the service wrote (a report) by its file id; undefined when there is none (or it was deleted). */
  written(fileId: string): Promise<{ path: string; name: string } | undefined>;
}

export interface ApiService {
  handlers: ApiHandlers;
  onEvent(listener: (event: ApiEvent) => void): () => void;
  files: ServiceFiles;
  /** Cancels running jobs, waits for them and for reads in flight, closes the project, removes uploads. */
  close(): Promise<void>;
}

/** One line per model for the model picker. */
/** The jobs that move a project's rows in bulk (see TrainingMemoryCap); a simulation imports what it writes. */
const BULK_JOBS: Partial<Record<JobKind, BulkJob>> = {
  train: 'train',
  import: 'import',
  importPredictions: 'import',
  simulate: 'import',
};

const MODEL_DESCRIPTIONS: Record<keyof typeof MODELS, string> = {
  naive: 'pCVR trained on clicked rows only: the sample-selection-biased baseline',
  esmm: 'pCTCVR = pCTR·pCVR on every exposure; no in-shop action',
  chain: 'every purchase goes through the in-shop action: pCVR = pAVR·P(b|a,c); assumes PSC away',
  esm2: 'purchases with and without an action: pCVR = pAVR·P(b|a,c) + (1 − pAVR)·P(b|¬a,c)',
  esmc: 'action and purchase towers tied by a parameter constraint instead of a chained product',
  esms: 'action and purchase towers share their hidden layers (siamese), each keeps its own head',
  esmg: 'the constraint between action and purchase in the exposure space; conditionals derived by division',
  aitm: 'click, action and purchase as exposure-space tasks, each attending to the one before; a calibrator keeps their order',
  'escm2-ips': "ESMM plus the clicked rows' CVR loss weighted by 1/pCTR: a counterfactual risk over every exposure",
  'escm2-dr': 'ESCM² with a doubly robust risk: an imputed CVR loss on every exposure, corrected on clicked rows',
  dcmt: 'twin CVR towers: factual on clicked rows (1/pCTR), counterfactual on unclicked ones (1/(1 − pCTR)), summing to 1',
};

const PRESET_DESCRIPTIONS: Record<keyof typeof SIMULATOR_PRESETS, string> = {
  'no-psc': 'every purchase passes through the in-shop action: the chain rule is exact',
  'paper-like': '40% of purchases skip the in-shop action, with click–purchase selection bias',
  'taobao-like': '78% of purchases skip cart and wish-list, and the action is rare',
};

async function appVersion(): Promise<string> {
  // This file runs from src-main/api (tests) or dist/src-main/api (built): the package is two or three up.
  for (const up of ['../../package.json', '../../../package.json']) {
    const text = await readFile(new URL(up, import.meta.url), 'utf8').catch(() => undefined);
    const pkg = text && (JSON.parse(text) as { name?: string; version?: string });
    if (pkg && pkg.name === 'esmc-lab') return pkg.version ?? 'unknown';
  }
  return 'unknown';
}

/** Where a project's uploads (and simulations on their way in) are kept: beside it, named after it. */
function uploadsOf(projectPath: string): string {
  return join(dirname(projectPath), `.${basename(projectPath, extname(projectPath))}-uploads`);
}

function uploadedRawAliCcp(name: string): string {
  return (
    `${name} is raw Ali-CCP, whose user features are in a second file (common_features_…) that an upload ` +
    'cannot bring along. Import it in the desktop app, or with the CLI: ' +
    '`esmc-lab import --project <project> --data <sample_skeleton file> --format aliccp-raw`.'
  );
}

/** A file name safe to create on any system, keeping its extension (formats are recognised by it). */
function safeFileName(name: string): string {
  const cleaned = basename(name.replaceAll('\\', '/'))
    .replace(/[^\w.\- ]+/g, '_')
    .replace(/^\.+/, '')
    .slice(-120);
  return cleaned || 'upload';
}

export async function createApiService(options: ApiServiceOptions): Promise<ApiService> {
  const listeners = new Set<(event: ApiEvent) => void>();
  const emit = (event: ApiEvent) => {
    for (const listener of listeners) listener(event);
  };
  const jobs = new JobManager(emit, { errorInfo: (error) => serviceError(error).toInfo() });
  const slots = new WorkerSlots(Math.max(1, options.workers ?? availableParallelism()));
  const serialiseSplits = oneAtATime();
  let project: Project | null = null;
  const reads = new Set<Promise<unknown>>();
  /** Files of rows exported this session (stages.export), by file id: handed out like reports. */
  const exported = new Map<string, { path: string; name: string }>();
  const uploads = new Map<string, { path: string; name: string; complete: boolean }>();
  let backend: Promise<BackendInfo> | undefined;

  const requireProject = (): Project => {
    if (!project) throw new ApiError('no-project', 'no project is open; open or create one first');
    return project;
  };

  /** Runs `work` on a connection of its own, so reads never share a result stream or a transaction. */
  const withConnection = async <T>(work: (connection: Project) => Promise<T>): Promise<T> => {
    const connection = await requireProject().connect();
    const running = work(connection).finally(() => connection.close());
    reads.add(running);
    try {
      return await running;
    } finally {
      reads.delete(running);
    }
  };

  const summary = async (): Promise<ProjectSummary | null> => {
    if (!project) return null;
    const path = project.path;
    return withConnection(async (connection) => ({
      path,
      name: basename(path, extname(path)),
      datasets: (await connection.datasets()).map(datasetSummary),
      runs: await runSummaries(connection),
    }));
  };
  const announceProject = async () => emit({ type: 'project', project: await summary() });

  /** A job on a connection of its own; the project event follows every job that changes the project. */
  const memoryCap = new TrainingMemoryCap(TRAINING_DUCKDB_MEMORY);
  const startJob = <K extends JobKind>(
    kind: K,
    title: string,
    work: (connection: Project, context: JobContext) => Promise<JobResults[K]>,
  ) => {
    const owner = requireProject();
    const job = jobs.start(kind, title, async (context) => {
      const connection = await owner.connect();
      // Cancelling stops the statement running now (a long read or import) instead of waiting for its end.
      const interrupt = () => connection.connection.interrupt();
      context.signal.addEventListener('abort', interrupt);
      try {
        const bulk = BULK_JOBS[kind];
        return await (bulk
          ? memoryCap.during(bulk, connection, () => work(connection, context))
          : work(connection, context));
      } finally {
        context.signal.removeEventListener('abort', interrupt);
        connection.close();
        if (kind !== 'analyse' && project === owner) await announceProject().catch(() => undefined);
      }
    });
    return { jobId: job.id };
  };

  const uploadFolder = () => uploadsOf(requireProject().path);

  const refuseRemotePaths = (what: string) => {
    if (options.localPaths === false)
      throw invalid(`${what}: this server is reachable from other machines, so it takes uploads, not paths`);
  };

  /**
   * Refuses a path that must not be opened (a named pipe, a device, anything under /proc or /sys, a file system
   * that does not answer): opening one would hang the call, and with it one of the few threads every file
   * operation of this process shares. `shown` is how the message names it: an upload by the user's name, since
   * where the server keeps it is no business of the browser's.
   */
  const refuseIrregular = async (field: string, path: string, what: string, shown = path) => {
    const irregular = await irregularFile(path, what);
    if (irregular) throw invalid(`${field}: ${shown} ${irregular}`);
  };

  /** The path the engine reads and the name the user knows. */
  const resolveFile = async (file: FileRef): Promise<{ path: string; name: string }> => {
    if (file.kind === 'path') {
      refuseRemotePaths('file');
      await refuseIrregular('file', file.path, 'a data file');
      return { path: resolve(file.path), name: file.path };
    }
    const upload = uploads.get(file.id);
    if (!upload?.complete) throw notFound(`no upload "${file.id}" (uploads last until the server stops)`);
    await refuseIrregular('file', upload.path, 'a data file', upload.name);
    return upload;
  };

  /**
   * Raw Ali-CCP is two files, and the import reads the user features from the one beside the sample file; an
   * upload arrives alone in a folder of its own, so it can never be imported (and the engine's error would name
   * a path on this server and a CLI flag). Said before the import starts, in the user's terms.
   */
  const refuseUploadedRawAliCcp = (file: FileRef, format: ImportFormat | undefined) => {
    if (file.kind !== 'upload') return;
    const raw = format === 'aliccp-raw' || ((format ?? 'auto') === 'auto' && SKELETON_PATTERN.test(file.name));
    if (raw) throw invalid(uploadedRawAliCcp(file.name));
  };

  const probeBackend = async (): Promise<BackendInfo> => {
    try {
      return await runWorkerTask({ kind: 'backend', requested: options.backend });
    } catch (error) {
      if (!options.backend) throw error;
      const fallback = await runWorkerTask({ kind: 'backend' });
      const why = error instanceof Error ? error.message : String(error);
      const reason = `${why}; training uses ${fallback.name} instead`;
      return { ...fallback, skipped: [{ name: options.backend, reason }, ...fallback.skipped] };
    }
  };

  /**
   * The backend a training gets when its request names none: the one app.info shows. When the backend the
   * service was started with cannot start, that is the fallback the probe found; asking for the broken one
   * again would fail every model.
   */
  const trainingBackend = async (): Promise<BackendName | undefined> => {
    if (!options.backend) return undefined;
    const probed = await (backend ??= startBackendProbe()).catch(() => undefined);
    return probed?.name ?? options.backend;
  };

  const openAt = async (path: string) => {
    if (project && resolve(project.path) === resolve(path)) return;
    if (jobs.busy) throw invalid('jobs are running on the open project; wait for them or cancel them first');
    await refuseIrregular('path', path, 'a project file');
    const opened = await openProject(path);
    await Promise.allSettled([...reads]);
    project?.close();
    project = opened;
    // Uploads last one session; what is there now was left by one that crashed (opening the project removed the
    // partial reports and exports).
    await rm(uploadsOf(opened.path), { recursive: true, force: true });
  };

  /** The backend a training would get, found on a worker thread once; a failure is retried on the next ask. */
  const startBackendProbe = () => {
    const probe = probeBackend();
    probe.catch(() => (backend = undefined));
    return probe;
  };
  // Started now: starting tfjs takes about a second, and the first thing a window asks for is app.info.
  backend = startBackendProbe();

  if (options.projectPath) {
    await mkdir(dirname(resolve(options.projectPath)), { recursive: true });
    await openAt(options.projectPath);
  }

  const engineHandlers: ApiHandlers = {
    'app.info': async () => {
      const backendInfo = await (backend ??= startBackendProbe());
      const models: ModelDescription[] = MODEL_NAMES.map((name) => ({
        ...modelInfo(name),
        description: MODEL_DESCRIPTIONS[name],
      }));
      const presets: SimulatorPresetInfo[] = Object.entries(SIMULATOR_PRESETS).map(([name, preset]) => ({
        name: name as SimulatorPresetInfo['name'],
        description: PRESET_DESCRIPTIONS[name as SimulatorPresetInfo['name']],
        pscShare: preset.pscShare,
      }));
      const app: AppInfo = {
        version: await appVersion(),
        shell: options.shell,
        backend: backendInfo,
        models,
        presets,
        defaults: { model: DEFAULT_MODEL_CONFIG, train: DEFAULT_TRAIN_SETTINGS },
        project: await summary(),
      };
      return app;
    },

    'project.open': async ({ path, create }) => {
      refuseRemotePaths('path');
      if (!existsSync(path) && !create) throw notFound(`no project at ${path}; create it instead`);
      if (create) await mkdir(dirname(resolve(path)), { recursive: true });
      await openAt(path);
      const opened = (await summary())!;
      emit({ type: 'project', project: opened });
      return opened;
    },

    'project.current': () => summary(),

    'files.inspect': async ({ file, format }) => {
      const { path, name } = await resolveFile(file);
      const inspection = await inspectFile(path, name, format);
      if (file.kind === 'upload' && inspection.format === 'aliccp-raw') {
        const finding = { severity: 'error' as const, code: 'raw-aliccp', message: uploadedRawAliCcp(name) };
        return { file, ...inspection, findings: [{ ...finding, count: 0, exampleLines: [] }] };
      }
      return { file, ...inspection };
    },

    'files.open': async ({ fileId }) => {
      const written = await files.written(fileId);
      if (!written) throw notFound(`no file "${fileId}"`);
      // The browser host downloads it instead (GET /files/<id>); only a desktop shell opens a viewer.
      if (options.shell === 'browser') return { opened: false };
      return { opened: await openExternally(written.path) };
    },

    'datasets.list': () => withConnection(async (connection) => (await connection.datasets()).map(datasetSummary)),

    'datasets.get': ({ name }) => withConnection((connection) => datasetDetail(connection, name)),

    'datasets.import': async (params) => {
      const file = await resolveFile(params.file);
      refuseUploadedRawAliCcp(params.file, params.format);
      const name = params.name ?? basename(file.name.replaceAll('\\', '/'), extname(file.name));
      const existing = await withConnection((connection) => connection.findDataset(name));
      if (existing && !params.replace)
        throw invalid(`name: the project already has a dataset "${name}"; choose another name or replace it`);
      return startJob('import', `Import ${basename(file.name)} as "${name}"`, async (connection, context) => {
        try {
          await importDataset(connection, file.path, {
            // TrainingMemoryCap sets DuckDB's limit for every job of the app.
            memoryLimit: null,
            name,
            format: params.format,
            roles: params.roles,
            funnelPolicy: params.funnelPolicy,
            replace: params.replace,
            signal: context.signal,
            onProgress: (fraction, words) => context.progress(fraction, words),
          });
        } catch (error) {
          throw asUserFile(error, file.path, file.name);
        }
        return datasetDetail(connection, name);
      });
    },

    'runs.importPredictions': async (params) => {
      const file = await resolveFile(params.file);
      await withConnection((connection) => connection.dataset(params.dataset)).catch(() => {
        throw notFound(`no dataset "${params.dataset}" in this project`);
      });
      const title = `Import predictions ${basename(file.name)} as "${params.name}"`;
      return startJob('importPredictions', title, async (connection, context) => {
        context.progress(0, 'reading and checking the predictions');
        try {
          const { run } = await importPredictions(connection, {
            // TrainingMemoryCap sets DuckDB's limit for every job of the app.
            memoryLimit: null,
            dataset: params.dataset,
            file: file.path,
            fileName: file.name,
            name: params.name,
            keys: params.keys,
            split: params.split,
            signal: context.signal,
          });
          return runSummary((await readRun(connection, run.id))!);
        } catch (error) {
          throw asUserFile(error instanceof RangeError ? invalid(error.message) : error, file.path, file.name);
        }
      });
    },

    'datasets.simulate': async (params) => {
      const preset = SIMULATOR_PRESETS[params.preset];
      const config: SimulatorConfig = {
        ...preset,
        rows: params.rows,
        seed: params.seed ?? preset.seed,
        pscShare: params.pscShare ?? preset.pscShare,
      };
      try {
        validateConfig(config);
      } catch (error) {
        throw invalid(error instanceof Error ? error.message : String(error));
      }
      const taken = new Set(
        await withConnection(async (connection) => (await connection.datasets()).map((d) => d.name)),
      );
      if (params.name && taken.has(params.name))
        throw invalid(`name: the project already has a dataset "${params.name}"`);
      let name = params.name ?? params.preset;
      for (let n = 2; taken.has(name); n++) name = `${params.preset}-${n}`;
      const title = `Simulate ${params.rows.toLocaleString('en')} rows (${params.preset}) as "${name}"`;
      return startJob('simulate', title, async (connection, context) => {
        const folder = join(uploadFolder(), `simulate-${randomBytes(6).toString('hex')}`);
        await mkdir(folder, { recursive: true });
        const out = join(folder, `${name}.csv`);
        try {
          await slots.use(context.signal, () =>
            runWorkerTask(
              { kind: 'simulate', config, out },
              {
                signal: context.signal,
                onMessage: (message) => {
                  if (message.type === 'rows-written')
                    context.progress((0.5 * message.rows) / config.rows, `simulated ${message.rows} rows`);
                },
              },
            ),
          );
          context.progress(0.5, 'importing');
          await importDataset(connection, out, {
            name,
            format: 'simulator',
            signal: context.signal,
            // TrainingMemoryCap sets DuckDB's limit for every job of the app.
            memoryLimit: null,
          });
          return datasetDetail(connection, name);
        } finally {
          await rm(folder, { recursive: true, force: true });
        }
      });
    },

    'training.start': async (params) => {
      const info = await withConnection((connection) => findDataset(connection, params.dataset));
      for (const model of params.models) {
        if (!isModelName(model)) throw notFound(`unknown model "${model}"; the models are ${MODEL_NAMES.join(', ')}`);
        if (modelInfo(model).needsAction && (info.roles.action ?? []).length === 0)
          throw invalid(`models: ${model} needs an in-shop action label, and dataset "${info.name}" has none`);
      }
      const title = `Train ${params.models.join(', ')} on "${info.name}"`;
      const trainOn = params.backend ?? (await trainingBackend());
      return startJob('train', title, async (connection, context) => {
        const ids = await runTraining(
          {
            project: connection,
            dataset: info.name,
            models: params.models,
            modelConfig: mergeSettings(DEFAULT_MODEL_CONFIG, params.modelConfig),
            trainConfig: params.trainConfig,
            backend: trainOn,
            slots,
            serialiseSplits,
            onTrainEvent: (model, event) => emit({ type: 'train', jobId: context.id, model, event }),
            streamAbove: options.streamTrainingAbove,
          },
          context,
        );
        const runs = await runSummaries(connection);
        return ids.map((id) => runs.find((run) => run.id === id)!);
      });
    },

    'training.plan': ({ dataset, trainConfig }) =>
      withConnection((connection) => trainingPlan(connection, dataset, trainConfig)),

    'runs.list': () => withConnection(runSummaries),

    'runs.get': ({ id }) => withConnection((connection) => runDetail(connection, id)),

    'runs.update': async ({ id, ...annotations }) => {
      const found = await withConnection((connection) => annotateRun(connection, id, annotations));
      if (!found) throw notFound(`no run "${id}" in this project`);
      await announceProject();
      return withConnection(async (connection) => (await runSummaries(connection)).find((run) => run.id === id)!);
    },

    'runs.delete': async ({ ids }) => {
      // A training that stores a run, or a report or analysis that reads its rows, must not lose them halfway.
      if (jobs.busy) throw invalid('jobs are running on the open project; wait for them or cancel them first');
      const deleted = await withConnection((connection) => deleteRuns(connection, [...new Set(ids)]));
      if (deleted === 0) throw notFound(`no run ${ids.map((id) => `"${id}"`).join(', ')} in this project`);
      await announceProject();
      return { deleted };
    },

    // Sorting every row for the AUCs and curves takes a while on large parts: a worker thread does it. It does
    // not wait for a training's slot; it is short, and the view is waiting for it.
    'results.compare': ({ runIds, part }) =>
      withConnection((connection) =>
        resultsView(connection, runIds, part, { compute: (input) => runWorkerTask({ kind: 'results', input }) }),
      ),

    'psc.analyse': async ({ runIds, part }) => {
      const { runs } = await withConnection((connection) => comparedRuns(connection, runIds));
      const title = `Analyse PSC of ${runs.map((run) => run.model).join(', ')} (${part ?? 'test'})`;
      return startJob('analyse', title, async (connection, context) => {
        context.progress(0, 'reading predictions');
        return pscAnalysisFor(connection, runIds, part, {
          signal: context.signal,
          analyse: (input, signal) => {
            context.progress(0.5, 'analysing');
            return runWorkerTask({ kind: 'analyse', input }, { signal });
          },
        });
      });
    },

    'stages.rows': (params) => withConnection((connection) => stageRows(connection, params)),

    'stages.row': ({ runIds, rowId }) => withConnection((connection) => stageRow(connection, runIds, rowId)),

    'stages.export': async (params) => {
      const owner = requireProject();
      const { dataset } = await withConnection((connection) => comparedRuns(connection, params.runIds));
      return startJob(
        'export',
        `Export rows of "${dataset.name}" as ${params.format.toUpperCase()}`,
        async (connection) => {
          const folder = exportsOf(owner.path);
          await mkdir(folder, { recursive: true });
          // Claimed at once (empty), so two exports started together get two names; removed if not written.
          const date = new Date();
          const out = await claimFile(folder, (k) => labFileName('rows', dataset.name, date, k, params.format));
          const { rows } = await exportStageRows(connection, params, out).catch(async (error: unknown) => {
            await rm(out, { force: true });
            throw error;
          });
          const fileId = randomBytes(12).toString('base64url');
          exported.set(fileId, { path: out, name: basename(out) });
          return { path: out, fileId, format: params.format, rows, bytes: (await stat(out)).size };
        },
      );
    },

    'report.create': async ({ runIds, pageSize, title }) => {
      const owner = requireProject();
      // Failed runs are welcome here: the report lists them with their error.
      const known = new Map((await withConnection(runSummaries)).map((run) => [run.id, run]));
      const unknown = runIds.find((id) => !known.has(id));
      if (unknown) throw notFound(`no run "${unknown}" in this project`);
      // Named after what it is about: the title given, else the runs' dataset ("ESMC report – paper-like – date.pdf").
      const subject = title || runIds.map((id) => known.get(id)?.dataset).find(Boolean) || `${runIds.length} runs`;
      return startJob('report', `Report on ${subject}`, async (connection, context) => {
        const started = Date.now();
        const fileId = randomBytes(12).toString('base64url');
        const folder = reportsOf(owner.path);
        await mkdir(folder, { recursive: true });
        const { writeReportForRuns, claimReportFile } = await loadReportModule();
        // Claimed (created empty) at once, so two reports started together get two names; removed on failure.
        const out = await claimReportFile(folder, subject);
        const written = await writeReportForRuns(connection, runIds, {
          pageSize: pageSize ?? 'A4',
          // Without one, the report's own title: the question, on the dataset.
          title: title || undefined,
          out,
          onProgress: (fraction: number, message?: string) => context.progress(fraction, message),
          signal: context.signal,
          // The same worker threads as results.compare and psc.analyse: sorting every row on this thread would
          // stop the API answering anyone while the report is gathered.
          compute: (input) => runWorkerTask({ kind: 'results', input }, { signal: context.signal }),
          analyse: (input, signal) => runWorkerTask({ kind: 'analyse', input }, { signal }),
        }).catch(async (error: unknown) => {
          await rm(out, { force: true });
          throw error;
        });
        const reportTitle = written?.title ?? subject;
        const result: ReportResult = {
          path: out,
          fileId,
          pages: written?.pages ?? NaN,
          bytes: (await stat(out)).size,
          seconds: (Date.now() - started) / 1000,
        };
        // Recorded in the project, so the file can be found again after a restart.
        await saveReport(connection, {
          id: fileId,
          path: out,
          createdAt: new Date(started).toISOString(),
          runs: runIds,
          metadata: { title: reportTitle, pageSize: pageSize ?? 'A4', pages: result.pages, bytes: result.bytes },
        });
        return result;
      });
    },

    'jobs.list': async () => jobs.list(),

    'jobs.cancel': async ({ jobId, model }) => {
      let job: JobInfo | undefined;
      try {
        job = await jobs.cancel(jobId, model === undefined ? {} : { part: model });
      } catch (error) {
        throw invalid(`model: ${error instanceof Error ? error.message : String(error)}`);
      }
      if (!job) throw notFound(`no job "${jobId}"`);
      return job;
    },
  };

  // Engine errors (bad data, a project that cannot be used) reach the caller as their API codes.
  const handlers = Object.fromEntries(
    Object.entries(engineHandlers).map(([method, handler]) => [
      method,
      (params: never) =>
        (handler as (params: never) => Promise<unknown>)(params).catch((error: unknown) => {
          throw serviceError(error);
        }),
    ]),
  ) as ApiHandlers;

  const files: ServiceFiles = {
    async newUpload(name) {
      const id = randomBytes(12).toString('base64url');
      const folder = join(uploadFolder(), id);
      await mkdir(folder, { recursive: true });
      const path = join(folder, safeFileName(name));
      uploads.set(id, { path, name: safeFileName(name), complete: false });
      return { id, path };
    },
    completeUpload(id) {
      const upload = uploads.get(id);
      if (!upload) throw notFound(`no upload "${id}"`);
      upload.complete = true;
      return { kind: 'upload', id, name: upload.name };
    },
    async discardUpload(id) {
      const upload = uploads.get(id);
      uploads.delete(id);
      if (upload) await rm(dirname(upload.path), { recursive: true, force: true });
    },
    async written(fileId) {
      if (!project) return undefined;
      // Exports this service wrote in this session: their paths never came from the project file.
      const rows = exported.get(fileId);
      if (rows) return existsSync(rows.path) ? rows : undefined;
      const folder = reportsOf(project.path);
      const report = await withConnection((connection) => findReport(connection, fileId));
      if (!report) return undefined;
      // The reports table is in a file anyone may edit (or a project from elsewhere): a row naming another file
      // (the project itself, ~/.ssh/…, through `..` or a link) must not make it downloadable.
      const [real, root] = await Promise.all([
        realpath(report.path).catch(() => undefined),
        realpath(folder).catch(() => undefined),
      ]);
      if (!real || !root || !real.startsWith(root + sep)) return undefined;
      return { path: real, name: basename(real) };
    },
  };

  return {
    handlers,
    files,
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      await jobs.close();
      await Promise.allSettled([...reads]);
      for (const id of [...uploads.keys()]) await files.discardUpload(id);
      if (project) await rm(uploadsOf(project.path), { recursive: true, force: true });
      project?.close();
      project = null;
      listeners.clear();
    },
  };
}

/** What the report job needs of src-main/report (written beside this service). */
interface ReportModule {
  writeReportForRuns(
    project: Project,
    runIds: string[],
    options: {
      pageSize: 'A4' | 'Letter';
      title?: string;
      out: string;
      onProgress(fraction: number, message?: string): void;
      signal: AbortSignal;
      compute: NonNullable<ResultsViewOptions['compute']>;
      analyse: NonNullable<PscAnalysisOptions['analyse']>;
    },
  ): Promise<{ pages?: number; title?: string } | undefined>;
  /** Creates the report's file under a free, readable name in `folder` and returns its path. */
  claimReportFile(folder: string, subject: string): Promise<string>;
}

async function loadReportModule(): Promise<ReportModule> {
  // A variable specifier: the report module is built separately and may be missing from a partial build.
  const specifier = '../report/index.js';
  try {
    return (await import(specifier)) as ReportModule;
  } catch (error) {
    throw new ApiError('failed', `the PDF report is not available in this build (${(error as Error).message})`);
  }
}
