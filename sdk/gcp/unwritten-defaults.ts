type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object";

/**
 * A template read back from the engine carries every default the engine filled in (port 8080,
 * concurrency 80, minInstanceCount 0, ...). A field the program left out is dropped again when the
 * template without it still means the same to the engine (`sameMeaning`), so a refresh records only
 * what was changed outside the stack, not the defaults as if someone had written them. List
 * elements are never dropped (an added env is a change); fields inside them are, like any other.
 */
export function withoutUnwrittenDefaults(readBack: unknown, written: unknown, sameMeaning: (candidate: unknown) => boolean): unknown {
  const result: unknown = structuredClone(readBack);
  prune(result, written, () => sameMeaning(result));
  return result;
}

function prune(node: unknown, written: unknown, stillSame: () => boolean): void {
  if (!isObj(node)) return;
  for (const key of Object.keys(node)) {
    const writtenValue = isObj(written) ? written[key] : undefined;
    if (writtenValue === undefined && !Array.isArray(node)) {
      const value = node[key];
      delete node[key];
      if (!stillSame()) node[key] = value;
    } else {
      prune(node[key], writtenValue, stillSame);
    }
  }
}
