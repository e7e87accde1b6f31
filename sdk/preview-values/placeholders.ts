/**
 * Text `check` writes where a value will exist only once `pulumi up` has made it, so that
 * `pulumi preview --diff` says what is coming instead of `[unknown]`: a Revision the program does
 * not name shows `name: "web-00002-abc" => "new revision of web"`, and so does every resource that
 * reads that name. A placeholder is for people: whatever validates or compares values treats it as
 * unknown. Revision names are DNS labels, so no real name ever contains a space.
 */
const NEW_REVISION = "new revision of ";

export function newRevisionPlaceholder(service: string): string {
  return `${NEW_REVISION}${service}`;
}

export function isPlaceholder(value: unknown): value is string {
  return typeof value === "string" && value.startsWith(NEW_REVISION);
}

/** The service a new-revision placeholder names, if `value` is one. */
export function serviceOfPlaceholder(value: unknown): string | undefined {
  return isPlaceholder(value) ? value.slice(NEW_REVISION.length) : undefined;
}
