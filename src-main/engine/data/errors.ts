import { basename } from 'node:path';

/**
 * A problem with the user's data, located the way editors and terminals link to it: `file:line:column: what`.
 * `line` is the 1-based file line (0 when the problem is the file as a whole, e.g. it does not exist) and
 * `column` the 1-based cell index; messages also name the column so they read well without the header open.
 * A whole-file problem given as a predicate ("is empty (0 bytes)") reads as a sentence about the file instead:
 * `x.csv is empty (0 bytes)`.
 */
export class DataError extends Error {
  override readonly name = 'DataError';
  readonly file: string;
  readonly line: number;
  readonly column?: number;

  constructor(file: string, line: number, column: number | undefined, problem: string) {
    const location = [file, line > 0 ? line : undefined, column].filter((part) => part !== undefined).join(':');
    const sentence = line > 0 || column !== undefined ? undefined : sentenceAbout(file, problem);
    super(sentence ?? `${location}: ${problem}`);
    this.file = file;
    this.line = line;
    this.column = column;
  }
}

/**
 * `problem` as a sentence about `file`: a predicate ("is a PNG image, …"), or a sentence about a file of the same
 * name. The second is how the API re-addresses an error to the name the user knows (an upload's or a preview
 * copy's path means nothing to them): it passes the whole message on as the problem, and the sentence must then
 * name the user's file, not the copy.
 */
function sentenceAbout(file: string, problem: string): string | undefined {
  if (problem.startsWith('is ')) return `${file} ${problem}`;
  for (let at = problem.indexOf(' is '); at > 0; at = problem.indexOf(' is ', at + 1))
    if (basename(problem.slice(0, at)) === basename(file)) return `${file}${problem.slice(at)}`;
  return undefined;
}
