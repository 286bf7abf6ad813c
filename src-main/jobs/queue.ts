/**
 * A queue of async work run one at a time in the order given: for what must not overlap, like two
 * transactions on one connection or two jobs creating the same split.
 */
export function oneAtATime(): <T>(work: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return (work) => {
    const next = tail.then(work);
    tail = next.catch(() => undefined);
    return next;
  };
}
