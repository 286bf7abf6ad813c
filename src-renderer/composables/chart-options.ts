import { computed, ref, type ComputedRef } from 'vue';
import type { ChartOptions } from '../../src-shared/charts/index.js';
import { useTheme } from './theme.js';

const reducedMotion = ref(false);
let started = false;

/**
 * What every chart builder gets from the page: the theme as drawn, and animation unless the person asked their
 * system for reduced motion.
 */
export function useChartOptions(): ComputedRef<Required<ChartOptions>> {
  const { theme } = useTheme();
  if (!started && typeof window !== 'undefined' && window.matchMedia) {
    started = true;
    const media = window.matchMedia('(prefers-reduced-motion: reduce)');
    reducedMotion.value = media.matches;
    media.addEventListener?.('change', (event) => (reducedMotion.value = event.matches));
  }
  return computed(() => ({ theme: theme.value, animation: !reducedMotion.value }));
}
