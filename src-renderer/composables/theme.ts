import { computed, ref, watchEffect } from 'vue';

export type ThemePreference = 'system' | 'light' | 'dark';
const STORAGE_KEY = 'esmc-lab.theme';
const ORDER: ThemePreference[] = ['system', 'light', 'dark'];

const systemDark = ref(false);
const preference = ref<ThemePreference>('system');
let started = false;

function start(): void {
  if (started || typeof window === 'undefined') return;
  started = true;
  const media = window.matchMedia?.('(prefers-color-scheme: dark)');
  if (media) {
    systemDark.value = media.matches;
    media.addEventListener?.('change', (event) => (systemDark.value = event.matches));
  }
  const saved = window.localStorage?.getItem(STORAGE_KEY);
  if (saved && (ORDER as string[]).includes(saved)) preference.value = saved as ThemePreference;
  watchEffect(() => {
    document.documentElement.dataset.theme = theme.value;
    window.localStorage?.setItem(STORAGE_KEY, preference.value);
  });
}

/** 'light' or 'dark' as drawn: the person's choice, or the system's when they left it to the system. */
const theme = computed<'light' | 'dark'>(() =>
  preference.value === 'system' ? (systemDark.value ? 'dark' : 'light') : preference.value,
);

/** Follows the OS until the person picks a theme; the pick is remembered. */
export function useTheme() {
  start();
  function cycle(): void {
    preference.value = ORDER[(ORDER.indexOf(preference.value) + 1) % ORDER.length];
  }
  return { preference, theme, cycle };
}
