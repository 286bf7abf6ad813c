import { ref } from 'vue';

/**
 * Loads where only the newest request's answer may land: a slower answer to an older selection, filter or page
 * is dropped, and `loading` is about the newest request only.
 */
export function newestOnly() {
  const loading = ref(false);
  let latest = 0;

  async function run<T>(
    ask: () => Promise<T>,
    onAnswer: (answer: T) => void,
    onError: (error: unknown) => void,
  ): Promise<void> {
    const request = ++latest;
    loading.value = true;
    try {
      const answer = await ask();
      if (request === latest) onAnswer(answer);
    } catch (error) {
      if (request === latest) onError(error);
    } finally {
      if (request === latest) loading.value = false;
    }
  }

  /** Nothing to load any more: answers still on their way are dropped. */
  function drop(): void {
    latest++;
    loading.value = false;
  }

  return { loading, run, drop };
}
