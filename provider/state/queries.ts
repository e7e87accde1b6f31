import type { Database } from "./db";

/**
 * The reads every table of one project's resources repeats (by name, the whole list, a filtered
 * list), written once. Table and column names come from the stores' own constants, never from a
 * caller's input; values always go in as parameters.
 */

/** The row of `table` named `name` in `project`. */
export function rowByName(db: Database, table: string, project: string, name: string): unknown {
  return db.prepare(`SELECT * FROM ${table} WHERE project = ? AND name = ?`).get(project, name);
}

/** All rows of `table` by project and name, or one project's by name. */
export function rowsByProject(db: Database, table: string, project: string | undefined): unknown[] {
  return project === undefined
    ? db.prepare(`SELECT * FROM ${table} ORDER BY project, name`).all()
    : db.prepare(`SELECT * FROM ${table} WHERE project = ? ORDER BY name`).all(project);
}

/** Rows of `table` whose columns equal the values given by column; a column given `undefined` is not filtered on. */
export function rowsWhere(db: Database, table: string, equal: Record<string, string | undefined>, orderBy: string): unknown[] {
  const where: string[] = [];
  const params: string[] = [];
  for (const [column, value] of Object.entries(equal)) {
    if (value === undefined) continue;
    where.push(`${column} = ?`);
    params.push(value);
  }
  const sql = `SELECT * FROM ${table} ${where.length ? "WHERE " + where.join(" AND ") : ""} ORDER BY ${orderBy}`;
  return db.prepare(sql).all(...params);
}
