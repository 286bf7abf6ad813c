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

  function open(view: ViewId): void {
    current.value = view;
    if (globalThis.history) globalThis.history.replaceState(null, '', `#/${view}`);
  }

  return { current, open };
});
