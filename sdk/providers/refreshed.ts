import { compact } from "./errors";

/**
 * What `read` answers for a resource that still exists: its outputs and, beside them, its inputs
 * as the engine now has them, in the shape `check` gives. Without the inputs, `pulumi refresh`
 * changes only the outputs; the next preview then proposes an update (the diff compares the old
 * outputs) while showing old inputs against new inputs, which are equal: an update with no field
 * named. With them, the preview names what `up` will undo (`- DEBUG: "1"` under `template.env`).
 * The keys `check` writes beside the inputs (check/known-at-preview.ts) are taken from the outputs,
 * so a refresh that finds nothing changed records no change.
 */
export function refreshed<I extends object, O extends I>(
  id: string,
  inputs: I,
  outputs: O,
  knownAtPreview: readonly (keyof O & string)[] = [],
) {
  const carried = Object.fromEntries(knownAtPreview.map((key) => [key, outputs[key]]));
  return { id, props: outputs, inputs: compact({ ...inputs, ...carried } as Record<string, unknown>) };
}
