import { watch, type Ref } from 'vue';

/**
 * The heading of the view shown in `container`: the one its section is labelled by (every view is a
 * `<section aria-labelledby>`), else its first h1/h2. It is made focusable by script only (tabindex -1), so that
 * focus can be put on it without adding a tab stop.
 */
export function viewHeading(container: HTMLElement | null): HTMLElement | null {
  if (!container) return null;
  const labelledBy = container.querySelector('[aria-labelledby]')?.getAttribute('aria-labelledby');
  const heading =
    (labelledBy ? container.querySelector<HTMLElement>(`#${CSS.escape(labelledBy)}`) : null) ??
    container.querySelector<HTMLElement>('h1, h2');
  if (heading && !heading.hasAttribute('tabindex')) heading.setAttribute('tabindex', '-1');
  return heading;
}

/**
 * Puts focus on the view's heading: a keyboard or screen-reader user lands where the new content starts (and the
 * next Tab goes into it), not back in the navigation. `scroll` false leaves the page where it is.
 */
export function focusViewHeading(container: HTMLElement | null, { scroll = true } = {}): boolean {
  const heading = viewHeading(container);
  if (!heading) return false;
  heading.focus({ preventScroll: !scroll });
  return true;
}

/**
 * Each view opens at its top with focus on its heading. After the new view is in the DOM (flush 'post'), so the
 * heading exists and nothing the old view left (its height, a focused control) scrolls the page back; a view
 * that scrolls somewhere itself afterwards (a term's definition, psc-terms.ts) still can.
 */
export function useViewFocus(current: () => unknown, container: Ref<HTMLElement | null>): void {
  watch(
    current,
    () => {
      globalThis.scrollTo?.(0, 0);
      focusViewHeading(container.value, { scroll: false });
    },
    { flush: 'post' },
  );
}
