import { DiffDecision, DiffTable, diffByTable } from "./table";

/**
 * Image: by content. The directory's path, its Dockerfile's name, build args and target all reach
 * `contentHash` (which covers what the build sends and those settings), so it alone decides an
 * update; a moved checkout of the same sources is no change. Name and project are its identity.
 */
export const imageDiffTable: DiffTable = { name: "replace", project: "replace", contentHash: "update" };

export function diffImage(olds: Record<string, unknown>, news: Record<string, unknown>): DiffDecision {
  return diffByTable(imageDiffTable, olds, news);
}
