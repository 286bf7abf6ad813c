/** Every per-row column of one evaluation must have one value per row; says which one does not. */
export function assertAligned(n: number, columns: Record<string, ArrayLike<number> | undefined>): void {
  for (const [name, column] of Object.entries(columns)) {
    if (column && column.length !== n) throw new Error(`${name} has ${column.length} rows, expected ${n}`);
  }
}
