import type { CheckFailure, Validated } from "../preview-values/validate";

/** What a resource's `check` returns to Pulumi: normalised inputs and property-level failures. */
export interface CheckOutcome<T> {
  inputs: T;
  failures: CheckFailure[];
}

/** Collects the per-field validations of one resource's inputs. */
export class InputsBuilder {
  readonly failures: CheckFailure[] = [];
  readonly inputs: Record<string, unknown> = {};

  /** Keeps the normalised value (or the raw one when it did not validate) under `key`. */
  field<T>(key: string, raw: unknown, result: Validated<T>): void {
    this.failures.push(...result.failures);
    const value = result.value !== undefined ? result.value : raw;
    if (value !== undefined) this.inputs[key] = value;
  }

  fail(property: string, reason: string): void {
    this.failures.push({ property, reason });
  }

  done<T>(): CheckOutcome<T> {
    return { inputs: this.inputs as T, failures: this.failures };
  }
}
