import { DataError } from '../engine/data/errors.js';
import { ProjectError } from '../engine/store/project.js';
import { ApiError } from '../../src-shared/api/errors.js';
import { toApiError } from '../../src-shared/api/dispatch.js';

/** A DataError's problem without the `file:line:column: ` it starts with. */
export function dataProblem(error: DataError): string {
  const location = [error.file, error.line > 0 ? error.line : undefined, error.column]
    .filter((part) => part !== undefined)
    .join(':');
  return error.message.startsWith(`${location}: `) ? error.message.slice(location.length + 2) : error.message;
}

/**
 * The error reported against the file the user knows: an upload or a sample is read from a copy, and its
 * path means nothing to them. Other errors pass unchanged.
 */
export function asUserFile(error: unknown, copy: string, userFile: string): unknown {
  if (!(error instanceof DataError) || error.file !== copy) return error;
  return Object.assign(new DataError(userFile, error.line, error.column, dataProblem(error)), {
    ...('findings' in error ? { findings: error.findings } : {}),
  });
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
