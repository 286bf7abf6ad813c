import { ApiError } from './errors.js';
import { PARAMS, isMethod, type Method, type Result, type ValidParams } from './contract.js';
import { toWire, type ReplyFrame } from './wire.js';

/** The Node side's implementation of every method; the shell (IPC or WebSocket) only carries the frames. */
export type ApiHandlers = { [M in Method]: (params: ValidParams<M>) => Promise<Result<M>> };

/** Checks a request against the contract; the error names each bad field. */
export function validateRequest<M extends Method>(
  method: unknown,
  params: unknown,
): { method: M; params: ValidParams<M> } {
  if (!isMethod(method)) throw new ApiError('invalid-request', `unknown method ${JSON.stringify(method)}`);
  const parsed = PARAMS[method].safeParse(params ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(params)'}: ${issue.message}`);
    throw new ApiError('invalid-request', `invalid parameters for ${method}: ${issues.join('; ')}`, { issues });
  }
  return { method: method as M, params: parsed.data as ValidParams<M> };
}

/** Validates, runs the handler and wraps the outcome in a reply; never throws. */
export async function dispatch(
  handlers: ApiHandlers,
  id: number,
  method: unknown,
  params: unknown,
): Promise<ReplyFrame> {
  try {
    const request = validateRequest(method, params);
    const handler = handlers[request.method] as (params: unknown) => Promise<unknown>;
    return { id, ok: true, result: toWire(await handler(request.params)) };
  } catch (error) {
    return { id, ok: false, error: toApiError(error).toInfo() };
  }
}

/** Any thrown value as an ApiError; errors that are not ApiErrors keep only their first line. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof Error && error.name === 'AbortError') return new ApiError('cancelled', 'cancelled');
  const message = error instanceof Error ? error.message : String(error);
  return new ApiError('failed', message.split('\n')[0]);
}
