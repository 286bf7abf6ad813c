import { defineStore } from 'pinia';
import { ref } from 'vue';
import { describeError, isCancellation } from '../errors.js';

export interface Notice {
  id: number;
  kind: 'error' | 'info';
  /** What was being done ("Importing sales.csv"). */
  context: string;
  text: string;
}

/** Every failure ends here and is shown in words until the person dismisses it; nothing is swallowed. */
export const useNoticesStore = defineStore('notices', () => {
  const notices = ref<Notice[]>([]);
  let nextId = 1;

  function add(kind: Notice['kind'], context: string, text: string): void {
    notices.value.push({ id: nextId++, kind, context, text });
    // The newest few are enough; an endless list hides what just happened.
    if (notices.value.length > 6) notices.value.splice(0, notices.value.length - 6);
  }

  /** A cancel the person asked for is news, not an error. */
  function report(context: string, error: unknown): void {
    if (isCancellation(error)) add('info', context, 'cancelled');
    else add('error', context, describeError(error));
  }

  function info(context: string, text: string): void {
    add('info', context, text);
  }

  function dismiss(id: number): void {
    notices.value = notices.value.filter((notice) => notice.id !== id);
  }

  return { notices, report, info, dismiss };
});
