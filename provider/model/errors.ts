import { z } from "zod";

/**
 * Every error the engine reports carries a code (which maps to an HTTP status and a CLI exit code),
 * the field it is about when there is one, and whose fault it is: a user error exits 1, anything
 * else exits 2.
 */
export type ErrorCode =
  "INVALID_ARGUMENT" | "NOT_FOUND" | "ALREADY_EXISTS" | "CONFLICT" | "FAILED_PRECONDITION" | "UNAUTHENTICATED" | "UNAVAILABLE" | "INTERNAL";

export const httpStatusOf: Record<ErrorCode, number> = {
  INVALID_ARGUMENT: 400,
  UNAUTHENTICATED: 401,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  CONFLICT: 409,
  FAILED_PRECONDITION: 412,
  INTERNAL: 500,
  UNAVAILABLE: 503,
};

export interface FieldViolation {
  field: string;
  reason: string;
}

export class SkiffError extends Error {
  readonly code: ErrorCode;
  readonly violations: FieldViolation[];

  constructor(code: ErrorCode, message: string, violations: FieldViolation[] = []) {
    super(message);
    this.name = "SkiffError";
    this.code = code;
    this.violations = violations;
  }

  get userFault(): boolean {
    return httpStatusOf[this.code] < 500;
  }

  toJSON(): ErrorBody {
    return { error: { code: this.code, message: this.message, violations: this.violations } };
  }
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string; violations: FieldViolation[] };
}

/** An error answer as clients read it: any code (a newer engine may have more), violations optional. */
export const errorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    violations: z.array(z.object({ field: z.string(), reason: z.string() })).default([]),
  }),
});

export function invalid(field: string, reason: string): SkiffError {
  return new SkiffError("INVALID_ARGUMENT", `${field}: ${reason}`, [{ field, reason }]);
}

export function notFound(kind: string, name: string, project?: string, detail?: string): SkiffError {
  const where = project ? ` in project "${project}"` : "";
  const why = detail ? `: ${detail}` : "";
  return new SkiffError("NOT_FOUND", `${kind} "${name}" not found${where}${why}`, [
    { field: kind, reason: `"${name}" not found${where}${why}` },
  ]);
}

/** Turns zod issues into field violations whose paths read like the user's own input. */
export function violationsOf(error: z.ZodError, prefix = ""): FieldViolation[] {
  return error.issues.map((issue) => ({
    field: formatPath(prefix, issue.path),
    reason: issue.message,
  }));
}

export function formatPath(prefix: string, path: readonly PropertyKey[]): string {
  let out = prefix;
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || "(input)";
}

/** One message for one or many violations: "template.port: must be ...; name: ...". */
export function invalidFromViolations(violations: FieldViolation[]): SkiffError {
  const message = violations.map((v) => `${v.field}: ${v.reason}`).join("; ");
  return new SkiffError("INVALID_ARGUMENT", message, violations);
}

/** Throws INVALID_ARGUMENT naming `field` when `value` does not pass `schema`: `service: "X" must be a DNS label…`. */
export function checkField(field: string, schema: z.ZodTypeAny, value: unknown): void {
  const result = schema.safeParse(value);
  if (!result.success) throw invalid(field, `"${String(value)}" ${result.error.issues[0]?.message ?? "is invalid"}`);
}

/**
 * The same error with each violation's field renamed, for an API whose clients name fields their
 * own way (Cloud Run v2's `service.template.timeout` for the engine's `template.timeout`).
 */
export function renameViolations(error: unknown, rename: (field: string) => string): unknown {
  if (!(error instanceof SkiffError) || error.violations.length === 0) return error;
  const violations = error.violations.map((v) => ({ field: rename(v.field), reason: v.reason }));
  if (error.code === "INVALID_ARGUMENT") return invalidFromViolations(violations);
  return new SkiffError(error.code, error.message, violations);
}
