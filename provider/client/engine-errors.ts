import { errorBodySchema } from "../model/errors";
import type { BuildEvent } from "../model/source-build";

/** The engine answered with an error: a 4xx is the caller's fault, anything else the engine's. */
export class EngineError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly violations: { field: string; reason: string }[] = [],
  ) {
    super(message);
    this.name = "EngineError";
  }
  get userFault(): boolean {
    return this.status >= 400 && this.status < 500;
  }
}

export type BuildFailure = Extract<BuildEvent, { failure: unknown }>["failure"];

/** A build that ran and failed (the user's Dockerfile or code): exit 1, with the step and its last lines. */
export class BuildFailureError extends EngineError {
  readonly step?: string;
  readonly lastLines: string[];
  constructor(failure: BuildFailure) {
    super(412, "FAILED_PRECONDITION", failure.message, [{ field: "source", reason: failure.message }]);
    this.step = failure.step;
    this.lastLines = failure.lastLines;
  }
}

/** No engine answers: not running, or it could not be started. */
export class EngineUnreachableError extends Error {
  override name = "EngineUnreachableError";
}

/** An error answer as an EngineError: the engine's own error body, else its status and text. */
export function errorOf(status: number, parsed: unknown, text: string): EngineError {
  const err = errorBodySchema.safeParse(parsed);
  if (err.success) return new EngineError(status, err.data.error.code, err.data.error.message, err.data.error.violations);
  return new EngineError(status, "INTERNAL", `engine answered ${status}: ${text}`);
}

export function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
