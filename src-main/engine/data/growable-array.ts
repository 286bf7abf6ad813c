export type NumberArray = Int32Array | Float32Array | Float64Array;

/** A typed array filled one value at a time when the count is not known up front (capacity doubles). */
export class GrowableArray<T extends NumberArray> {
  private data: T;
  length = 0;

  constructor(private readonly create: (capacity: number) => T) {
    this.data = create(1024);
  }

  push(value: number): void {
    if (this.length === this.data.length) {
      const grown = this.create(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = value;
  }

  get values(): T {
    return this.data.subarray(0, this.length) as T;
  }
}
