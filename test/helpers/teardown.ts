/**
 * A test file's `after.always`: runs each step in order, every one of them even when an earlier
 * one fails (a failed `pulumi destroy` must not leave the engine and its containers running), then
 * fails with all of their errors. A step whose resource `before` never made returns undefined.
 */
export async function tearDown(...steps: (() => Promise<unknown> | undefined)[]): Promise<void> {
  const errors: unknown[] = [];
  for (const step of steps) {
    try {
      await step();
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length > 0) throw new Error(errors.map(String).join("\n"));
}
