import { defineStore } from 'pinia';
import { ref } from 'vue';

export const VIEWS = [
  { id: 'data', label: 'Data' },
  { id: 'train', label: 'Train' },
  { id: 'results', label: 'Results' },
  { id: 'stages', label: 'Stages' },
  { id: 'psc', label: 'PSC' },
  { id: 'runs', label: 'Runs' },
] as const;
export type ViewId = (typeof VIEWS)[number]['id'];

function isViewId(value: string): value is ViewId {
  return VIEWS.some((view) => view.id === value);
}

/** Which view is open; kept in the URL's hash so a reload stays where the person was. */
export const useNavStore = defineStore('nav', () => {
  const initial = globalThis.location?.hash.replace(/^#\/?/, '') ?? '';
  const current = ref<ViewId>(isViewId(initial) ? initial : 'data');

  /** Another view opens at its top (what it leads with, like the PSC verdict), not where the last one was scrolled. */
  function open(view: ViewId): void {
    if (view !== current.value) globalThis.scrollTo?.(0, 0);
    current.value = view;
    if (globalThis.history) globalThis.history.replaceState(null, '', `#/${view}`);
  }

  return { current, open };
});
