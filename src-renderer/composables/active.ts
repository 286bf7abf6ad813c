import { onActivated, onDeactivated, watch } from 'vue';

/**
 * Runs `load` when the view is shown and whenever `key` changes while it is shown; a hidden view (kept alive)
 * does no work, and catches up when it is shown again.
 */
export function loadWhileActive(key: () => string, load: () => void): void {
  let active = false;
  let loadedFor: string | null = null;
  const refresh = () => {
    const current = key();
    if (current === loadedFor) return;
    loadedFor = current;
    load();
  };
  onActivated(() => {
    active = true;
    refresh();
  });
  onDeactivated(() => (active = false));
  watch(key, () => {
    if (active) refresh();
  });
}
