import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src-main/engine/backends/index.js';
import { DEFAULT_SPLIT, splitRows, takeSplit } from '../../src-main/engine/data/split.js';
import { createModel, DEFAULT_MODEL_CONFIG, type ModelName } from '../../src-main/engine/models/index.js';
import { analysePsc, truthOf, type PscAnalysis } from '../../src-main/engine/psc/index.js';
import { SIMULATOR_PRESETS, simulateDataset } from '../../src-main/engine/simulate/simulator.js';
import { predictRows, type StageArrays } from '../../src-main/engine/train/predict.js';
import { resolveTrainSettings, train } from '../../src-main/engine/train/trainer.js';
import type { LearningAssessment } from '../../src-shared/types/index.js';

const MODELS: ModelName[] = ['esmm', 'chain', 'esm2', 'esmc'];

/** Trains the models briefly on a simulated world and returns what the analysis needs. */
async function world(preset: keyof typeof SIMULATOR_PRESETS, rows = 20_000) {
  const { dataset, stats } = simulateDataset({ ...SIMULATOR_PRESETS[preset], rows, seed: 5 });
  const parts = takeSplit(dataset, splitRows(dataset.rows, DEFAULT_SPLIT, 5));
  const stagesByModel: Record<string, StageArrays> = {};
  for (const name of MODELS) {
    const model = createModel(name, dataset.schema, { ...DEFAULT_MODEL_CONFIG, embeddingDim: 4, seed: 5 });
    await train(model, parts, resolveTrainSettings({ epochs: 3, batchSize: 256, learningRate: 3e-3 }, 0));
    stagesByModel[name] = await predictRows(model, parts.test);
    model.dispose();
  }
  let purchases = 0;
  let withoutAction = 0;
  const { click, action, purchase } = dataset.labels;
  for (let i = 0; i < dataset.rows; i++)
    if (click[i] > 0.5 && purchase[i] > 0.5) {
      purchases++;
      if (!(action![i] > 0.5)) withoutAction++;
    }
  return { test: parts.test, stagesByModel, stats, dataset: { purchases, purchasesWithoutAction: withoutAction } };
}

const learned = (summary = 'Learned CVR'): LearningAssessment => ({
  part: 'test',
  status: 'learned',
  notLearned: [],
  untestable: [],
  summary,
  parts: {},
});

function rankedByTruth(analysis: PscAnalysis): string[] {
  return Object.keys(analysis.truth!.errors).sort(
    (a, b) => analysis.truth!.errors[a].cvr.clicked.rmse - analysis.truth!.errors[b].cvr.clicked.rmse,
  );
}

describe('the PSC verdict', () => {
  beforeAll(() => initBackend('wasm'));

  it.each(['paper-like', 'taobao-like'] as const)(
    '%s: ranks the models as their error against the truth does, names the hurt chain, and the share is the dataset’s',
    async (preset) => {
      const { test, stagesByModel, dataset } = await world(preset);
      const learning = Object.fromEntries(MODELS.map((m) => [m, learned()]));
      const analysis = analysePsc({
        labels: test.labels,
        stagesByModel,
        truth: truthOf(test.truth),
        context: { learning, dataset, part: 'test' },
      });
      const verdict = analysis.verdict!;
      expect(verdict.rankedBy).toBe('truth');
      expect(verdict.models.map((m) => m.model)).toEqual(rankedByTruth(analysis));
      expect(verdict.trust).toBe(rankedByTruth(analysis)[0]);
      expect(verdict.materiality).toBe('material');
      // The whole dataset's share, counted here from the labels, is the one the verdict states first.
      const share = verdict.share.dataset!;
      expect(share.available && share.successes).toBe(dataset.purchasesWithoutAction);
      expect(verdict.sentences[0]).toContain(
        `${((100 * dataset.purchasesWithoutAction) / dataset.purchases).toFixed(2)}%`,
      );
      // chain routes every purchase through the action: its no-action path is short by the whole observed gap.
      const chain = verdict.models.find((m) => m.model === 'chain')!;
      expect(chain.hurt).toBe(true);
      expect(verdict.hurt).toContain('chain');
      expect(chain.noActionPathBias!.value).toBeCloseTo(-(analysis.empirical.gap as { estimate: number }).estimate, 6);
      expect(verdict.sentences.some((s) => s.startsWith('chain is hurt: its no-action path is short by'))).toBe(true);
      expect(verdict.headline).toMatch(/of purchases bypass the in-shop action: PSC is material; .*trust \w+ for pCVR/);
    },
    120_000,
  );

  it('a part without clicks says CVR and CTR cannot be tested there, with no infinite interval', () => {
    const rows = 10;
    const zeros = () => new Float32Array(rows);
    const flat = (p: number) => new Float32Array(rows).fill(p);
    const untestable: LearningAssessment = {
      ...learned(),
      status: 'untestable',
      untestable: ['ctr', 'cvr', 'ctcvr'],
      summary: 'Nothing to check.',
    };
    const analysis = analysePsc({
      labels: { click: zeros(), action: zeros(), purchase: zeros() },
      stagesByModel: { esmm: { ctr: flat(0.07), cvr: flat(0.1), ctcvr: flat(0.007) } },
      context: { learning: { esmm: untestable }, part: 'test' },
    });
    const { caveats, sentences, headline } = analysis.verdict!;
    expect(sentences).toContain(
      'No model is ranked for pCVR: the test part has 0 purchases among 0 clicks, so pCVR cannot be tested there.',
    );
    expect(headline).toContain('pCVR cannot be tested on the test part (0 purchases among 0 clicks)');
    // Its data could not test it: it is not said to have failed.
    expect(sentences).toContain(
      'Not ranked: esmm could not be tested (Nothing to check.); conclusions drawn from it do not hold.',
    );
    expect(analysis.verdict!.models[0].sentence).toBe('esmm could not be tested; its numbers are not results.');
    expect(caveats).toContain('The test part has 0 purchases among 0 clicks: CVR cannot be tested there.');
    expect(caveats).toContain('No row of the test part is a click: the CTR stage could not be learned or tested.');
    expect([...caveats, ...sentences].join(' ')).not.toMatch(/Infinity|NaN/);
  });

  it('trusts no model for pCVR on a part whose clicks hold no purchase, though one learned CTR there', () => {
    // 20 rows, 10 clicks, no purchase: a log-loss on clicks of one class ranks whoever predicts nearest 0 first.
    const click = Float32Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? 1 : 0));
    const none = new Float32Array(20);
    const stages = (cvr: number) => ({
      ctr: click.map((c) => (c ? 0.8 : 0.2)),
      cvr: new Float32Array(20).fill(cvr),
      ctcvr: click.map((c) => (c ? 0.8 : 0.2) * cvr),
    });
    const context = { learning: { esmm: learned(), naive: learned() }, part: 'test' as const };
    const input = { labels: { click, purchase: none }, stagesByModel: { esmm: stages(0.01), naive: stages(0.2) } };
    const verdict = analysePsc({ ...input, context }).verdict!;
    expect(verdict.trust).toBeNull();
    expect(verdict.models.map((m) => m.rank)).toEqual([null, null]);
    expect(verdict.unranked).toBe('the test part has 0 purchases among 10 clicks, so pCVR cannot be tested there');
    expect(verdict.headline).toBe(
      'The PSC share cannot be measured on this data; pCVR cannot be tested on the test part (0 purchases among 10 clicks).',
    );
    expect(verdict.sentences).toContain(
      'No model is ranked for pCVR: the test part has 0 purchases among 10 clicks, so pCVR cannot be tested there.',
    );
    expect(verdict.sentences.join(' ')).not.toMatch(/[Tt]rust|did not learn/);
    expect(verdict.models.find((m) => m.model === 'esmm')!.sentence).toMatch(
      /^esmm: not ranked, since the test part has 0 purchases among 10 clicks, so pCVR cannot be tested there; mean pCVR \+1\.00 points/,
    );
    expect(verdict.caveats).toEqual(['The test part has 0 purchases among 10 clicks: CVR cannot be tested there.']);
    // The truth still ranks them: an error against the true CVR needs no purchase.
    const truth = { true_cvr: new Float32Array(20).fill(0.02) };
    const byTruth = analysePsc({ ...input, truth, context }).verdict!;
    expect([byTruth.rankedBy, byTruth.trust, byTruth.unranked]).toEqual(['truth', 'esmm', undefined]);
  });

  it('no-psc: says PSC is not material and nobody is hurt by it', async () => {
    const { test, stagesByModel, dataset } = await world('no-psc');
    const analysis = analysePsc({
      labels: test.labels,
      stagesByModel,
      truth: truthOf(test.truth),
      context: { learning: Object.fromEntries(MODELS.map((m) => [m, learned()])), dataset },
    });
    expect(analysis.verdict!.materiality).toBe('not-material');
    expect(analysis.verdict!.hurt).toEqual([]);
    expect(analysis.verdict!.sentences[1]).toMatch(/^PSC is not material here .*the chain rule holds/);
    expect(analysis.verdict!.headline).toMatch(/PSC is not material/);
  }, 120_000);

  it('never ranks a run that did not learn, names it, and without the truth ranks by CVR log-loss', async () => {
    const { test, stagesByModel, dataset } = await world('paper-like', 10_000);
    const failed: LearningAssessment = {
      ...learned(),
      status: 'not-learned',
      notLearned: ['cvr'],
      summary: 'Not learned: CVR (AUC 0.48 [0.44, 0.52] includes 0.5)',
    };
    const analysis = analysePsc({
      labels: test.labels,
      stagesByModel,
      context: { learning: { esmm: learned(), chain: learned(), esm2: learned(), esmc: failed }, dataset },
    });
    const verdict = analysis.verdict!;
    expect(verdict.rankedBy).toBe('logloss');
    const esmc = verdict.models.find((m) => m.model === 'esmc')!;
    expect(esmc.rank).toBeNull();
    expect(verdict.models.at(-1)!.model).toBe('esmc');
    expect(verdict.trust).not.toBe('esmc');
    expect(verdict.sentences).toContain(
      'Not ranked: esmc did not learn (CVR (AUC 0.48 [0.44, 0.52] includes 0.5)); conclusions drawn from it do not hold.',
    );
    const ranked = verdict.models.filter((m) => m.rank !== null);
    const losses = ranked.map((m) => m.cvrLogloss);
    expect(losses).toEqual([...losses].sort((a, b) => a - b));
    for (const m of ranked.slice(1)) expect(m.versusTrusted!.model).toBe(verdict.trust);
    // A model that orders the purchases best but whose probabilities are far off (its CVR's fourth root: the same
    // order, so the same AUC) leads on AUC and is not trusted: the verdict says what AUC does and does not say.
    const leader = [...ranked].sort((a, b) => b.cvrAuc.value - a.cvrAuc.value)[0].model;
    const skewed = { ...stagesByModel[leader], cvr: stagesByModel[leader].cvr.map((p) => Math.sqrt(Math.sqrt(p))) };
    const again = analysePsc({
      labels: test.labels,
      stagesByModel: { ...stagesByModel, [leader]: skewed },
      context: { learning: { esmm: learned(), chain: learned(), esm2: learned(), esmc: failed }, dataset },
    }).verdict!;
    expect(again.trust).not.toBe(leader);

    // A model that routes purchases through the action but did not learn is not judged hurt, nor unhurt, by PSC.
    const chainFailed = analysePsc({
      labels: test.labels,
      stagesByModel,
      context: { learning: { esmm: learned(), chain: failed, esm2: learned(), esmc: failed }, dataset },
    }).verdict!;
    const chain = chainFailed.models.find((m) => m.model === 'chain')!;
    expect(chain.noActionPathBias).toBeDefined();
    expect([chain.rank, chain.hurt, chainFailed.hurt.includes('chain')]).toEqual([null, false, false]);
    expect(chainFailed.sentences.filter((s) => /^chain is (not )?hurt/.test(s))).toEqual([]);
    expect(chainFailed.sentences).toContain(
      'chain routes purchases through the action, but it did not learn: whether PSC hurts it cannot be read from this run.',
    );
    expect(again.sentences).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^${leader} has the highest CVR AUC \\(.*\\): it orders the purchases better, but ${again.trust}'s probabilities are nearer the observed rates\\.$`,
        ),
      ),
    );
  }, 120_000);
});
