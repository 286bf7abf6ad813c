/**
 * "Did it learn?": each stage of a trained model checked on held-out rows against the constant predictor that
 * knows only the training rows' rate (see src-main/engine/metrics/learning.ts). Plain JSON, recorded with the run.
 */

/** The stages that have a label of their own to be checked against. */
export const ASSESSED_STAGES = ['ctr', 'avr', 'cvr', 'ctavr', 'ctcvr'] as const;
export type AssessedStage = (typeof ASSESSED_STAGES)[number];

/**
 * - learned: it ranks better than chance (AUC interval above 0.5), its mean is near the observed rate, and it
 *   beats the constant predictor's log-loss;
 * - not-learned: any of those fails (or it predicts one value for every row);
 * - untestable: the rows hold one class only (no non-click exposures for CTR, no actions…), nothing to check.
 */
export type LearningStatus = 'learned' | 'not-learned' | 'untestable';

export type LearningReason = 'constant' | 'auc' | 'calibration' | 'logloss' | 'single-class' | 'few-positives';

export interface StageLearning {
  stage: AssessedStage;
  status: LearningStatus;
  /** Rows the stage is scored on (clicked rows for avr and cvr), and the positives among them. */
  rows: number;
  positives: number;
  /** NaN where undefined (one class); the interval is null with fewer than ten rows of either class. */
  auc: number;
  aucCi: [number, number] | null;
  meanPrediction: number;
  observedRate: number;
  /** Wilson 95% interval of the observed rate. */
  observedCi: [number, number];
  /** The constant predictor's value: the stage's rate in the training rows. */
  baseRate: number;
  logloss: number;
  baseLogloss: number;
  /** Mean per-row log-loss of the constant predictor minus the model's (> 0: the model is better), 95% interval. */
  improvement: number;
  improvementCi: [number, number];
  /** Why it is not learned or untestable, each a code and a phrase with its numbers. */
  reasons: { code: LearningReason; text: string }[];
  /** One line: "CVR not learned: AUC 0.46 [0.35, 0.57] includes 0.5; mean pCVR 47% vs 2.70% observed". */
  summary: string;
}

export interface PartLearning {
  part: 'validation' | 'test';
  stages: StageLearning[];
}

export interface LearningAssessment {
  /** The part the verdict is read on: test when the split has one, else validation. */
  part: 'validation' | 'test';
  /**
   * not-learned when a stage the model serves (CTR, CVR, CTCVR) that the data can test was not learned on that
   * part; untestable when none of them can be tested.
   */
  status: 'learned' | 'not-learned' | 'untestable';
  /** Served stages not learned. */
  notLearned: AssessedStage[];
  /** Action stages (AVR, CTAVR) not shown to be learned: said, not disqualifying. Absent in older runs. */
  weak?: AssessedStage[];
  untestable: AssessedStage[];
  /** One sentence for tables and the report: what failed and by how much, or that every testable stage learned. */
  summary: string;
  parts: Partial<Record<'validation' | 'test', PartLearning>>;
}

export const LEARNING_DEFINITION =
  'A stage is learned when, on held-out rows, its AUC interval (DeLong, 95%) lies above 0.5, its mean prediction is ' +
  'within a factor 2 of the observed rate (Wilson 95% interval), and its log-loss beats the constant predictor that ' +
  "knows only the training rows' rate (with fewer than ten rows of the rarer class, where ranking cannot be " +
  'checked, by more than noise). A run that fails on a stage it serves (CTR, CVR, CTCVR) that the data can test ' +
  'is not learned: its numbers are shown but never ranked, and conclusions drawn from it do not hold. Action ' +
  'stages (AVR, CTAVR) that fail are reported as not shown to be learned.';
