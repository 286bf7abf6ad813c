import { dirname, resolve, sep } from 'node:path';
import { DataError } from '../engine/data/errors.js';
import { ProjectError } from '../engine/store/project.js';
import { ApiError } from '../../src-shared/api/errors.js';
import { toApiError } from '../../src-shared/api/dispatch.js';
import type { Finding } from '../../src-shared/types/data.js';

/** A DataError's problem without the `file:line:column: ` it starts with. */
export function dataProblem(error: DataError): string {
  const location = [error.file, error.line > 0 ? error.line : undefined, error.column]
    .filter((part) => part !== undefined)
    .join(':');
  return error.message.startsWith(`${location}: `) ? error.message.slice(location.length + 2) : error.message;
}

/**
 * The error reported against the file the user knows: an upload or a preview is read from a copy on this server,
 * whose path means nothing to the user and must not reach a browser (it shows where the server keeps projects and
 * temporary files). `copies` are the paths the file was read as: wherever the message names one, it names
 * `userFile` instead. `folders` are the server's own folders the copies were made in: a file there (a copy's
 * copy) is named by its name alone. A DataError about a copy becomes one about `userFile`; other errors keep
 * their class and code.
 */
export function asUserFile(
  error: unknown,
  copies: string | readonly string[],
  userFile: string,
  folders: readonly string[] = [],
): unknown {
  // Longest first: a path also starts with its folder's.
  const longestFirst = (paths: string[]) => [...new Set(paths)].sort((a, b) => b.length - a.length);
  const files = longestFirst([copies].flat().flatMap((copy) => [copy, resolve(copy)]));
  const places = longestFirst(folders.flatMap((folder) => [folder, resolve(folder)])).filter(
    (folder) => dirname(folder) !== folder,
  );
  const hide = (text: string) => {
    for (const file of files) text = text.replaceAll(file, userFile);
    for (const folder of places) text = text.replaceAll(folder + sep, '');
    for (const folder of places) text = text.replaceAll(folder, 'a folder of the server');
    return text;
  };
  if (error instanceof DataError) {
    const copy = files.includes(error.file);
    if (!copy && hide(error.message) === error.message) return error;
    const findings =
      'findings' in error
        ? (error.findings as Finding[]).map((finding) => ({ ...finding, message: hide(finding.message) }))
        : undefined;
    const file = copy ? userFile : hide(error.file);
    // "x.csv: file not found: x.csv" says it twice.
    const hidden = hide(dataProblem(error));
    const problem = hidden.endsWith(`: ${file}`) ? hidden.slice(0, -`: ${file}`.length) : hidden;
    const moved = new DataError(file, error.line, error.column, problem);
    return Object.assign(moved, findings ? { findings } : {});
  }
  if (error instanceof ApiError) {
    const { where } = error.details;
    return new ApiError(error.code, hide(error.message), {
      ...error.details,
      ...(where ? { where: { ...where, file: hide(where.file) } } : {}),
    });
  }
  if (error instanceof Error) {
    // The file system's and DuckDB's errors name the path they failed on.
    error.message = hide(error.message);
    if (error.stack) error.stack = hide(error.stack);
  }
  return error;
}

/**
 * An engine error as the API reports it: bad data with where it is (file, line, column), a project that
 * cannot be used as 'failed', anything else by its first line (toApiError).
 */
export function serviceError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof DataError) {
    const where = {
      file: error.file,
      ...(error.line > 0 ? { line: error.line } : {}),
      ...(error.column !== undefined ? { column: error.column } : {}),
    };
    return new ApiError('data-error', error.message.split('\n')[0], { where });
  }
  if (error instanceof ProjectError) return new ApiError('failed', error.message.split('\n')[0]);
  return toApiError(error);
}

export function notFound(message: string): ApiError {
  return new ApiError('not-found', message);
}

export function invalid(message: string): ApiError {
  return new ApiError('invalid-request', message);
}
