/**
 * A stop request that crosses to a worker thread as shared memory. The trainer reads it between steps: a
 * training loop that never yields to the event loop would not see a message until it ended.
 */
export class StopFlag {
  private readonly cell: Int32Array;

  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT)) {
    this.cell = new Int32Array(buffer);
  }

  request(): void {
    Atomics.store(this.cell, 0, 1);
  }

  get aborted(): boolean {
    return Atomics.load(this.cell, 0) === 1;
  }
}
