/**
 * An error Pulumi records with the resource's id and outputs ("created, but failed to initialize"),
 * so a service whose revision failed stays in the state and a later `up` or `destroy` handles it,
 * instead of leaking an engine object Pulumi never heard of.
 */
export function initFailed(message: string, id: string, properties: object): Error {
  return Object.assign(new Error(message), { id, properties, reasons: [message] });
}

/** Drops undefined values: Pulumi state has no undefined, and a phantom key would be a diff. */
export function compact<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
