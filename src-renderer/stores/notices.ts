import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { describeError, isCancellation } from '../errors.js';
import { useNavStore, type ViewId } from './nav.js';

/** Where a notice shows: on one view, or on every view (the link to the lab, the computation process). */
export type NoticeScope = ViewId | 'global';

export interface Notice {
  id: number;
  kind: 'error' | 'info' | 'success';
  /** What was being done ("Importing sales.csv"). */
  context: string;
  text: string;
  scope: NoticeScope;
}

/** How long news (a cancel, a PDF written) stays: long enough to read twice, short enough not to pile up. */
export const NEWS_SECONDS = 10;
/** After the pointer or focus leaves the messages, news that ran out meanwhile stays this much longer. */
const GRACE_SECONDS = 4;
/** Per place; an endless list hides what just happened. */
const MOST_SHOWN = 4;

/**
 * Failures of the app as a whole rather than of something done on one view. Their callers (main.ts, stores/app.ts,
 * the status bar) do not say `'global'` yet; once they do, this list can go.
 */
function isGlobalContext(context: string): boolean {
  return (
    context === 'Connecting to the lab' ||
    context === 'Computation process' ||
    context === 'Cancelling a job' ||
    context.startsWith('Unexpected error') ||
    // Opening a project (the status bar's switcher); "Opening dataset …" is the Data view's.
    (context.startsWith('Opening ') && !context.startsWith('Opening dataset '))
  );
}

/**
 * Every failure ends here and is shown in words; nothing is swallowed. A notice belongs to the view the person was
 * on when it came (what they were doing there failed) unless the caller names its place, and shows only there;
 * app-wide ones show on every view. News (info, success) goes after NEWS_SECONDS, never while the pointer or focus
 * is on the messages (WCAG 2.2.1: the person gets the time to read it). An error stays until the person dismisses
 * it, the same action reports again (the newer notice replaces it), or the action succeeds (`resolve`, called by the
 * view or store that retried it): an error that vanished by itself would leave the person wondering whether it
 * happened, and one left after the retry worked would say something false.
 */
export const useNoticesStore = defineStore('notices', () => {
  const nav = useNavStore();
  const notices = ref<Notice[]>([]);
  let nextId = 1;
  const timers = new Map<number, ReturnType<typeof setTimeout>>();
  /** News whose time ran out while it was held: it goes GRACE_SECONDS after the hold ends. */
  const overdue = new Set<number>();
  let held = false;

  /** This view's notices and the app-wide ones, oldest first. */
  const visible = computed(() =>
    notices.value.filter((notice) => notice.scope === 'global' || notice.scope === nav.current),
  );

  function forget(id: number): void {
    clearTimeout(timers.get(id));
    timers.delete(id);
    overdue.delete(id);
    notices.value = notices.value.filter((notice) => notice.id !== id);
  }

  function expireLater(id: number, seconds: number): void {
    clearTimeout(timers.get(id));
    timers.set(
      id,
      setTimeout(() => {
        timers.delete(id);
        if (held) overdue.add(id);
        else forget(id);
      }, seconds * 1000),
    );
  }

  function add(kind: Notice['kind'], context: string, text: string, scope?: NoticeScope): void {
    const place = scope ?? (isGlobalContext(context) ? 'global' : nav.current);
    for (const old of notices.value) if (old.scope === place && old.context === context) forget(old.id);
    const notice: Notice = { id: nextId++, kind, context, text, scope: place };
    notices.value.push(notice);
    const here = notices.value.filter((other) => other.scope === place);
    for (const old of here.slice(0, Math.max(0, here.length - MOST_SHOWN))) forget(old.id);
    if (kind !== 'error') expireLater(notice.id, NEWS_SECONDS);
  }

  /** A cancel the person asked for is news, not an error. */
  function report(context: string, error: unknown, scope?: NoticeScope): void {
    if (isCancellation(error)) add('info', context, 'cancelled', scope);
    else add('error', context, describeError(error), scope);
  }

  function info(context: string, text: string, scope?: NoticeScope): void {
    add('info', context, text, scope);
  }

  function success(context: string, text: string, scope?: NoticeScope): void {
    add('success', context, text, scope);
  }

  /** The action `context` names succeeded: its error is out of date. */
  function resolve(context: string): void {
    for (const notice of notices.value) if (notice.kind === 'error' && notice.context === context) forget(notice.id);
  }

  function dismiss(id: number): void {
    forget(id);
  }

  /** The pointer or focus is on the messages (true) or has left them (false): news waits while they are read. */
  function hold(holding: boolean): void {
    held = holding;
    if (holding) return;
    for (const id of overdue) expireLater(id, GRACE_SECONDS);
    overdue.clear();
  }

  return { notices, visible, report, info, success, resolve, dismiss, hold };
});
