import { ApiError, type SourceLocation } from '../src-shared/api/errors.js';

/** "file:line:column" for a problem in the user's data; every part the cause knows. */
export function formatWhere(where: SourceLocation): string {
  return [where.file, where.line, where.column].filter((part) => part !== undefined && part !== '').join(':');
}

/** Any failure in words for the person at the screen: the message, where in their file, and each bad field. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    const place = error.details.where ? formatWhere(error.details.where) : '';
    // Some causes already start their message with the place; it is said once.
    const parts = [place && !error.message.includes(place) ? `${place}: ${error.message}` : error.message];
    if (error.details.issues?.length && !error.message.includes(error.details.issues[0])) {
      parts.push(error.details.issues.join('; '));
    }
    return parts.join(' — ');
  }
  if (error instanceof Error) return error.message;
  return String(error);
}

export function isCancellation(error: unknown): boolean {
  return error instanceof ApiError && error.code === 'cancelled';
}
