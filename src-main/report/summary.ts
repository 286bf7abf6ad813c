/**
 * The report's first page, for a manager: the verdict's answer as the app words it, the key figures, what to do
 * and what limits it. Nothing on it identifies files, hashes, seeds or backends: those are in the appendix.
 */
import type { RunDetail } from '../../src-shared/api/contract.js';
import { formatCount, formatPercent, formatValue, isAvailable, runLabels } from '../../src-shared/charts/index.js';
import {
  hasResults,
  notLearnedText,
  type ModelVerdict,
  type Proportion,
  type PscVerdict,
} from '../../src-shared/types/index.js';
import { list, points, withInterval } from './format.js';
import { pscAnalysisOf, type ReportInput } from './input.js';
import type { ReportLayout } from './layout.js';

/** The report's title when none is given: the analyst's question, on the dataset it is asked of. */
export function defaultReportTitle(dataset: string | null, runs: number): string {
  return `Do purchases bypass the in-shop action? — ${dataset ?? `${runs} run${runs === 1 ? '' : 's'}`}`;
}

const MATERIALITY: Record<PscVerdict['materiality'], string> = {
  material: 'material (the interval lies above 5%)',
  'not-material': 'not material (the interval lies below 5%)',
  uncertain: 'possibly material (the interval straddles 5%)',
  unknown: 'not measurable (no in-shop action label)',
};

const LEARNED: Record<ModelVerdict['learned'], string> = {
  learned: 'yes',
  'not-learned': 'no',
  untestable: 'could not be tested',
  unknown: 'not checked',
};

function learnedText(run: RunDetail | undefined): string {
  const learning = run?.learning ?? run?.record?.learning;
  if (!learning) return LEARNED.unknown;
  return LEARNED[learning.status];
}

/** The key figures' "hurt by PSC": only a ranked (learned) model that routes purchases through the action is judged. */
function hurtCell(verdict: ModelVerdict | undefined): string {
  if (!verdict?.noActionPathBias) return 'n/a';
  if (verdict.rank === null) return 'not read (not ranked)';
  return verdict.hurt ? `yes (${points(verdict.noActionPathBias.value)})` : 'no';
}

/** Why the trusted model is trusted, from the verdict's own ranking and numbers. */
function trustReason(verdict: PscVerdict, trusted: ModelVerdict): string {
  const part = verdict.share.partName;
  return verdict.rankedBy === 'truth'
    ? `it has the lowest error against the known true CVR on the ${part} clicks (RMSE ${formatValue(trusted.truthRmse)})`
    : `it has the lowest CVR log-loss on the ${part} clicks (${formatValue(trusted.cvrLogloss)})`;
}

function demoParagraph(input: ReportInput, verdict: PscVerdict | undefined): string {
  const demo = input.demo!;
  const simulated =
    `What this demo shows: a simulated funnel (${demo.preset}, ${formatCount(demo.rows)} exposures) with known ` +
    `truth, where ${formatPercent(demo.pscShare, 0)} of purchases bypass the in-shop action. ${list(demo.models)} ` +
    'were trained on it';
  if (!verdict) return `${simulated}.`;
  const trusted = verdict.models.find((m) => m.model === verdict.trust);
  const trust = trusted
    ? `; the verdict trusts ${trusted.model} for pCVR because ${trustReason(verdict, trusted)}`
    : `; ${verdict.unranked ?? 'no model learned'}, so the verdict trusts none`;
  const hurt =
    verdict.hurt.length > 0
      ? `, and finds ${list(verdict.hurt)} hurt by purchases that bypass the action`
      : ', and finds no model hurt by purchases that bypass the action';
  return `${simulated}${trust}${hurt}.`;
}

/** The recommendation: which model to use for pCVR and why, and which not to. */
function recommendation(verdict: PscVerdict): string[] {
  const trusted = verdict.models.find((m) => m.model === verdict.trust);
  if (!trusted)
    return [
      verdict.unranked
        ? `No model can be recommended for pCVR: ${verdict.unranked}.`
        : 'No model learned on this data, so none can be recommended for pCVR: see the caveats below.',
    ];
  const lines = [`Use ${trusted.model} for pCVR: ${trustReason(verdict, trusted)}.`];
  if (verdict.tiedWithTrust.length > 0)
    lines.push(
      `${list(verdict.tiedWithTrust)} ${verdict.tiedWithTrust.length === 1 ? 'is' : 'are'} within noise of it: ` +
        'either would do.',
    );
  const avoid = verdict.hurt.filter((model) => model !== trusted.model);
  if (avoid.length > 0)
    lines.push(
      `Do not rely on ${list(avoid)} for pCVR here: ${avoid.length === 1 ? 'it routes' : 'they route'} every ` +
        'purchase through the in-shop action and misreads the purchases that bypass it.',
    );
  return lines;
}

/** What limits the answer: the verdict's caveats, runs that did not learn (with why), runs that failed. */
function caveats(input: ReportInput, verdict: PscVerdict | undefined): string[] {
  const labels = runLabels(input.runs.map((r) => ({ runId: r.id, model: r.model })));
  const items = [...(verdict?.caveats ?? [])];
  for (const run of input.runs) {
    const learning = run.learning ?? run.record?.learning;
    if (learning && learning.status !== 'learned')
      items.push(
        `${labels.get(run.id)} ${notLearnedText({ learned: learning.status })}: ` +
          `${learning.summary.replace(/^Not learned: /, '')}${learning.summary.endsWith('.') ? '' : '.'}`,
      );
  }
  const failed = input.runs.filter((r) => r.status === 'failed');
  if (failed.length > 0)
    items.push(
      `${failed.length} run(s) failed and have no metrics: ` +
        `${failed.map((r) => `${r.model} (${r.error ?? 'no error recorded'})`).join('; ')}.`,
    );
  const cancelled = input.runs.filter((r) => r.status === 'cancelled');
  const kept = cancelled.filter(hasResults);
  if (kept.length > 0)
    items.push(
      `${list(kept.map((r) => labels.get(r.id)!))} ${kept.length === 1 ? 'was' : 'were'} cancelled before ` +
        `the last epoch: its numbers are those of the best epoch it finished.`,
    );
  const empty = cancelled.filter((r) => !hasResults(r));
  if (empty.length > 0)
    items.push(
      `${list(empty.map((r) => labels.get(r.id)!))} ${empty.length === 1 ? 'was' : 'were'} cancelled before ` +
        `a first epoch ended and ${empty.length === 1 ? 'has' : 'have'} no metrics.`,
    );
  return items;
}

/** "41.57% (685 of 1,648; 95% interval 39.21% to 43.96%)": a share in the key figures. */
function shortShare(share: Proportion): string {
  if (!share.available) return `not available (${share.reason})`;
  return (
    `${formatPercent(share.estimate)} (${formatCount(share.successes)} of ${formatCount(share.trials)}; ` +
    `95% interval ${formatPercent(share.ci95[0])} to ${formatPercent(share.ci95[1])})`
  );
}

/** The key figures: the PSC share, then one row per run with its rank, CVR AUC and whether it learned. */
function keyFigures(layout: ReportLayout, input: ReportInput, verdict: PscVerdict | undefined): void {
  const funnel = input.dataset?.profile.funnel;
  const facts: [string, string][] = [];
  if (verdict) {
    const { dataset, part, partName } = verdict.share;
    facts.push([
      'Purchases without an in-shop action (PSC share)',
      !dataset && !part.available
        ? `not measurable: ${part.reason}.`
        : (dataset ? `${shortShare(dataset)} of the clicked purchases in the whole dataset; ` : '') +
          `${shortShare(part)} in the ${partName} part. PSC is ${MATERIALITY[verdict.materiality]}.`,
    ]);
  } else if (funnel && isAvailable(funnel.rates.pscShare))
    facts.push([
      'Purchases without an in-shop action (PSC share)',
      `${formatPercent(funnel.rates.pscShare)} (${formatCount(funnel.counts.purchasesWithoutAction)} of ` +
        `${formatCount(funnel.counts.purchases)}) of the clicked purchases in the whole dataset.`,
    ]);
  if (funnel)
    facts.push([
      'Funnel',
      `${formatCount(funnel.counts.exposures)} exposures; ${formatPercent(funnel.rates.ctr)} clicked; ` +
        `${formatPercent(funnel.rates.cvr)} of clicks bought.`,
    ]);
  if (facts.length > 0) layout.facts(facts);
  const { results } = input;
  if (!results || results.runs.length === 0) return;
  const labels = runLabels(input.runs.map((r) => ({ runId: r.id, model: r.model })));
  const byLabel = new Map(verdict?.models.map((m) => [m.model, m]));
  const rows = results.runs.map((summary) => {
    const run = input.runs.find((r) => r.id === summary.id);
    const label = labels.get(summary.id) ?? summary.model;
    return { label, run, verdict: byLabel.get(label), interval: results.intervals[summary.id]?.cvr_auc };
  });
  rows.sort((a, b) => (a.verdict?.rank ?? Infinity) - (b.verdict?.rank ?? Infinity));
  const measure = verdict?.rankedBy === 'truth' ? 'RMSE vs truth' : 'CVR log-loss';
  layout.table(
    ['model', 'rank', 'CVR AUC (95% interval)', measure, 'learned?', 'hurt by PSC'],
    rows.map(({ label, run, verdict: v, interval }) => [
      label,
      v?.rank ? String(v.rank) : 'not ranked',
      withInterval(v?.cvrAuc.value ?? results.metrics[run?.id ?? '']?.cvr_auc, v?.cvrAuc.ci95 ?? interval),
      // A log-loss on clicks of one class measures nothing about pCVR (verdict.unranked).
      formatValue(verdict?.rankedBy === 'truth' ? v?.truthRmse : verdict?.unranked ? undefined : v?.cvrLogloss),
      v ? LEARNED[v.learned] : learnedText(run),
      hurtCell(v),
    ]),
    { widths: [1.2, 1.2, 2.5, 1.8, 1.1, 2], numeric: [false, true, true, true, false, false] },
  );
}

/** Page 1: answer, key figures, recommendation, caveats. */
export function renderSummary(layout: ReportLayout, input: ReportInput): void {
  const psc = pscAnalysisOf(input);
  const verdict = psc?.verdict;
  const { dataset } = input;
  const models = [...new Set(input.runs.map((r) => r.model))];
  const on = dataset
    ? `${dataset.name} (${formatCount(dataset.rows)} rows${dataset.simulated ? ', simulated' : ''})`
    : 'data outside the project';
  layout.title(
    input.title,
    `ESMC Lab report · ${list(models)} on ${on} · ${input.part} part · ${input.createdAt.slice(0, 10)}`,
  );
  if (input.demo) layout.paragraph(demoParagraph(input, verdict), 'note');
  layout.heading('Answer', 2, 40);
  if (verdict) {
    layout.paragraph(verdict.headline, 'lead');
    layout.bullets(verdict.sentences);
  } else
    layout.paragraph(
      psc
        ? 'No run has a pCVR to judge, so there is no verdict.'
        : `There is no verdict: the PSC analysis is not available (${(input.psc as { unavailable: string }).unavailable}).`,
      'warning',
    );
  layout.heading('Key figures', 2, 60);
  keyFigures(layout, input, verdict);
  if (verdict) {
    layout.heading('Recommendation', 2, 30);
    layout.bullets(recommendation(verdict));
  }
  const limits = caveats(input, verdict);
  layout.heading('Caveats', 2, 30);
  if (limits.length > 0) layout.bullets(limits, 'warning');
  else
    layout.paragraph(
      verdict ? 'None: every run learned, and the part analysed holds enough purchases.' : 'None.',
      'note',
    );
}
