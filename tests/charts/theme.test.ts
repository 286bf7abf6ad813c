/**
 * The charts' text in both themes, from the options themselves (no browser): every text colour a builder sets
 * (titles, subtitles, legends, axis labels and names, data labels, tooltips) reads at WCAG AA on the background
 * the chart stands on, which is the ChartPanel's surface in the stylesheet; and no label has ECharts' white halo.
 */
import { readFileSync } from 'node:fs';
import type { EChartsOption } from 'echarts';
import { beforeAll, describe, expect, it } from 'vitest';
import { paletteOf } from '../../src-shared/charts/common.js';
import {
  decompositionChart,
  epochMetricChart,
  formatSignificant,
  funnelChart,
  lossCurveChart,
  reliabilityChart,
  rocChart,
  rowPathChart,
  sliceFunnelChart,
  sliceGapChart,
  truthErrorChart,
} from '../../src-shared/charts/index.js';
import { MIN_CONTRAST, contrastRatio, rgb } from './contrast.js';
import { chartInputs, crowdedInputs, overTheWire, type ChartInputs, type CrowdedInputs } from './fixtures.js';

const THEMES = ['light', 'dark'] as const;

/** Every text colour an option sets, with where: walks the option as ECharts reads it. */
function textColours(option: EChartsOption): { where: string; colour: string; halo: boolean }[] {
  const found: { where: string; colour: string; halo: boolean }[] = [];
  const visit = (value: unknown, path: string) => {
    if (Array.isArray(value)) return value.forEach((item, k) => visit(item, `${path}[${k}]`));
    if (value === null || typeof value !== 'object') return;
    const record = value as Record<string, unknown>;
    const texty = /(textStyle|subtextStyle|nameTextStyle|axisLabel|label)$/.test(path);
    if (texty && typeof record.color === 'string')
      found.push({
        where: path,
        colour: record.color,
        halo: typeof record.textBorderWidth === 'number' ? record.textBorderWidth > 0 : false,
      });
    // Text ECharts would draw in its default colour (dark grey, a white halo on labels): an axis' labels, or a
    // label shown, without a colour of the theme.
    if (/axisLabel$/.test(path) && record.color === undefined)
      found.push({ where: path, colour: 'ECharts default', halo: false });
    if (/\blabel$/.test(path) && record.show === true && record.color === undefined)
      found.push({ where: path, colour: 'ECharts default', halo: true });
    for (const [key, child] of Object.entries(record))
      if (key !== 'tooltip' && key !== 'data') visit(child, `${path}.${key}`);
    if (Array.isArray(record.data)) visit(record.data, `${path}.data`);
  };
  visit(option, 'option');
  return found;
}

let inputs: ChartInputs;
let crowded: CrowdedInputs;

beforeAll(() => {
  inputs = chartInputs(6000);
  crowded = overTheWire(crowdedInputs(inputs));
  inputs = { ...inputs, analysis: overTheWire(inputs.analysis), curves: overTheWire(inputs.curves) };
});

describe('chart text colours', () => {
  it('match the panel the chart stands on: the stylesheet’s --surface in each theme', () => {
    const css = readFileSync(new URL('../../src-renderer/styles/main.css', import.meta.url), 'utf8');
    const surface = (block: RegExp) => block.exec(css)?.[1].match(/--surface:\s*(#[0-9a-f]{6})/i)?.[1];
    expect(surface(/:root\s*\{([^}]*)\}/)).toBe(paletteOf({ theme: 'light' }).background);
    expect(surface(/:root\[data-theme='dark'\]\s*\{([^}]*)\}/)).toBe(paletteOf({ theme: 'dark' }).background);
  });

  it.each(THEMES)('of the palette read at AA on the %s background', (theme) => {
    const palette = paletteOf({ theme });
    const background = rgb(palette.background)!;
    for (const [role, colour] of Object.entries({
      text: palette.text,
      subtle: palette.subtle,
      muted: palette.muted,
      tooltip: palette.tooltip.text,
    }))
      expect(contrastRatio(rgb(colour)!, background), `${role} ${colour}`).toBeGreaterThanOrEqual(MIN_CONTRAST);
    expect(contrastRatio(rgb(palette.tooltip.text)!, rgb(palette.tooltip.background)!)).toBeGreaterThanOrEqual(
      MIN_CONTRAST,
    );
  });

  it.each(THEMES)('set by every builder read at AA on the %s background, with no halo', (theme) => {
    const options = { theme, animation: false } as const;
    const background = rgb(paletteOf(options).background)!;
    const charts: Record<string, EChartsOption> = {
      funnel: funnelChart(inputs.funnel, options),
      slices: sliceFunnelChart(crowded.longSlices, 'brand', options),
      loss: lossCurveChart(crowded.loss, options),
      epochs: epochMetricChart(crowded.epochs, 'cvr_auc', options),
      roc: rocChart(inputs.curves, 'cvr', options),
      calibration: reliabilityChart(inputs.curves, 'cvr', options),
      gaps: sliceGapChart(inputs.analysis.slices[0], options),
      decomposition: decompositionChart(inputs.analysis, options),
      truth: truthErrorChart(inputs.analysis, options),
      row: rowPathChart(crowded.row, Object.keys(crowded.row.stages)[0], { ...options, label: crowded.rowLabel }),
    };
    const problems: string[] = [];
    for (const [name, option] of Object.entries(charts))
      for (const { where, colour, halo } of textColours(option)) {
        const fill = rgb(colour);
        const ratio = fill ? contrastRatio(fill, background) : 0;
        if (ratio < MIN_CONTRAST) problems.push(`${name} ${where}: ${colour} has contrast ${ratio.toFixed(2)}`);
        if (halo) problems.push(`${name} ${where}: a halo`);
      }
    expect(problems).toEqual([]);
    // The walk found the texts it checks: titles, subtitles, legends, axis labels and names, data labels.
    const places = Object.values(charts).flatMap((option) => textColours(option).map((t) => t.where));
    for (const part of ['title.textStyle', 'title.subtextStyle', 'legend.textStyle', 'axisLabel', 'nameTextStyle'])
      expect(
        places.some((where) => where.includes(part)),
        part,
      ).toBe(true);
    expect(places.some((where) => /series\[\d+\]\.data\[\d+\]\.label$/.test(where))).toBe(true);
  });
});

describe('formatSignificant', () => {
  it('writes four significant digits whatever the size, counts whole', () => {
    expect(formatSignificant(0.693147180559945)).toBe('0.6931');
    expect(formatSignificant(0.0012345678)).toBe('0.001235');
    expect(formatSignificant(12.3456789)).toBe('12.35');
    expect(formatSignificant(1234.5678)).toBe('1,235');
    expect(formatSignificant(20000)).toBe('20,000');
    expect(formatSignificant(0.5)).toBe('0.5');
    expect(formatSignificant(3.2e-6)).toBe('3.200e-6');
    expect(formatSignificant(-0.04567891)).toBe('-0.04568');
    expect(formatSignificant(Number.NaN)).toBe('—');
    expect(formatSignificant(null)).toBe('—');
  });
});
