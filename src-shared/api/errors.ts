/** Where in a user's file a problem is; every field the cause knows is set. */
export interface SourceLocation {
  file: string;
  line?: number;
  column?: number | string;
}

export type ApiErrorCode =
  /** The request does not match the contract (unknown method, wrong parameter). */
  | 'invalid-request'
  /** The session token is missing or wrong. */
  | 'unauthorized'
  /** A named project, dataset, run or job does not exist. */
  | 'not-found'
  /** The user's data cannot be used as it is; `where` says where. */
  | 'data-error'
  /** The request needs an open project. */
  | 'no-project'
  | 'cancelled'
  /** Anything else: the message is the cause's first line. */
  | 'failed';

/** An error as it crosses a transport: plain data, so IPC, WebSocket and the UI all show the same message. */
export interface ApiErrorInfo {
  code: ApiErrorCode;
  message: string;
  where?: SourceLocation;
  /** Per-field problems of an invalid request, "path: message". */
  issues?: string[];
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly details: Pick<ApiErrorInfo, 'where' | 'issues'> = {},
  ) {
    super(message);
  }

  toInfo(): ApiErrorInfo {
    return { code: this.code, message: this.message, ...this.details };
  }

  static fromInfo(info: ApiErrorInfo): ApiError {
    return new ApiError(info.code, info.message, { where: info.where, issues: info.issues });
  }
}
