import type { Directive } from 'vue';

/**
 * A roving tab stop: of the controls inside an element (by default its buttons), one is in the tab order and the
 * arrow keys move between them, so a header row of 25 sort buttons is one Tab, not 25, on the way to the data.
 *
 * Use it on the element that holds the controls, in a component's template:
 *
 *   import { vRovingTabindex } from '../composables/roving-tabindex.js';
 *   <tr v-roving-tabindex> <th :aria-sort="…"><button type="button" @click="sortBy(key)">…</button></th> … </tr>
 *
 * ←/→ move to the previous/next control, Home/End to the first/last; Tab leaves the row. The tab stop is the
 * control used last, else the one in the sorted column (`aria-sort` on its header), else the first. A value
 * (`v-roving-tabindex="'button.sort'"`) picks the controls by another selector. Screen readers still reach every
 * control in browse mode and by table navigation: only the Tab order changes.
 */
interface Roving {
  selector: string;
  current: HTMLElement | null;
  onKeydown: (event: KeyboardEvent) => void;
  onFocusin: (event: FocusEvent) => void;
}

const rovings = new WeakMap<HTMLElement, Roving>();

function controls(container: HTMLElement, selector: string): HTMLElement[] {
  return [...container.querySelectorAll<HTMLElement>(selector)].filter(
    (control) => !(control as HTMLButtonElement).disabled,
  );
}

/** Gives the tab stop to one control (keeping the current one while it is there) and takes it from the others. */
function settle(container: HTMLElement): void {
  const roving = rovings.get(container);
  if (!roving) return;
  const list = controls(container, roving.selector);
  const current =
    roving.current && list.includes(roving.current)
      ? roving.current
      : (list.find((control) => control.closest('[aria-sort]:not([aria-sort="none"])')) ?? list[0] ?? null);
  roving.current = current;
  for (const control of list) control.tabIndex = control === current ? 0 : -1;
}

const STEPS: Record<string, (index: number, count: number) => number> = {
  ArrowRight: (index, count) => Math.min(count - 1, index + 1),
  ArrowLeft: (index) => Math.max(0, index - 1),
  Home: () => 0,
  End: (_index, count) => count - 1,
};

export const vRovingTabindex: Directive<HTMLElement, string | undefined> = {
  mounted(container, binding) {
    const roving: Roving = {
      selector: binding.value ?? 'button',
      current: null,
      onKeydown(event) {
        const step = STEPS[event.key];
        if (!step || event.altKey || event.ctrlKey || event.metaKey) return;
        const list = controls(container, roving.selector);
        const index = list.indexOf(event.target as HTMLElement);
        if (index === -1) return;
        event.preventDefault();
        const next = list[step(index, list.length)];
        roving.current = next;
        settle(container);
        next.focus();
      },
      onFocusin(event) {
        const target = event.target as HTMLElement;
        if (!controls(container, roving.selector).includes(target)) return;
        roving.current = target;
        settle(container);
      },
    };
    rovings.set(container, roving);
    container.addEventListener('keydown', roving.onKeydown);
    container.addEventListener('focusin', roving.onFocusin);
    settle(container);
  },
  updated(container, binding) {
    const roving = rovings.get(container);
    if (roving) roving.selector = binding.value ?? 'button';
    settle(container);
  },
  unmounted(container) {
    const roving = rovings.get(container);
    if (!roving) return;
    container.removeEventListener('keydown', roving.onKeydown);
    container.removeEventListener('focusin', roving.onFocusin);
    rovings.delete(container);
  },
};
