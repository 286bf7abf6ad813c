/**
 * A problem with the user's data, located the way editors and terminals link to it: `file:line:column: what`.
 * `line` is the 1-based file line (0 when the problem is the file as a whole, e.g. it does not exist) and
 * `column` the 1-based cell index; messages also name the column so they read well without the header open.
 */
export class DataError extends Error {
  override readonly name = 'DataError';
  readonly file: string;
  readonly line: number;
  readonly column?: number;

  constructor(file: string, line: number, column: number | undefined, problem: string) {
    const location = [file, line > 0 ? line : undefined, column].filter((part) => part !== undefined).join(':');
    super(`${location}: ${problem}`);
    this.file = file;
    this.line = line;
    this.column = column;
  }
}
