import { invalid } from "../model/errors";

/**
 * pageSize/pageToken over a list in a fixed order. The token is the sort key of the last item
 * handed out (base64url), so the next page starts after it even when items were added or removed
 * meanwhile: nothing is handed out twice and nothing that stayed is skipped.
 */

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

export interface Page<T> {
  items: T[];
  nextPageToken?: string;
}

/**
 * `items` in the order of `keyOf` (ascending or descending), a page of them. Sorted here, by the
 * same comparison the token is resumed with, so a list gathered from several parents (`-`) pages
 * as well as one that came sorted.
 */
export function paginate<T>(
  unsorted: readonly T[],
  keyOf: (item: T) => string,
  order: "asc" | "desc",
  pageSize: number | undefined,
  pageToken: string | undefined,
): Page<T> {
  const sign = order === "asc" ? 1 : -1;
  const items = unsorted
    .map((item) => ({ item, key: keyOf(item) }))
    .sort((a, b) => sign * (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map(({ item }) => item);
  const size = Math.min(pageSize && pageSize > 0 ? pageSize : DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
  let start = 0;
  if (pageToken) {
    const after = decodeToken(pageToken);
    start = items.findIndex((item) => (order === "asc" ? keyOf(item) > after : keyOf(item) < after));
    if (start < 0) start = items.length;
  }
  const page = items.slice(start, start + size);
  const more = start + size < items.length;
  return { items: page, nextPageToken: more ? Buffer.from(keyOf(page[page.length - 1])).toString("base64url") : undefined };
}

function decodeToken(token: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(token)) throw invalid("pageToken", "is not a page token this API handed out");
  return Buffer.from(token, "base64url").toString("utf8");
}

/** A time-ordered list's key: newest first sorts descending by time, then by name. */
export function timeKey(time: string, name: string): string {
  return `${time}\u0000${name}`;
}
