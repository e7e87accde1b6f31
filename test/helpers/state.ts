import { DatabaseSync } from "node:sqlite";
import * as path from "node:path";

/**
 * Looks inside the engine's state.db without knowing its schema: "no state row of S" means no row
 * in any table mentions S. Read-only, so it never competes with the daemon's writes (WAL).
 */
export function stateRowsMentioning(home: string, needle: string): string[] {
  const db = new DatabaseSync(path.join(home, "state.db"), { readOnly: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as unknown as {
      name: string;
    }[];
    const hits: string[] = [];
    for (const { name } of tables) {
      for (const row of db.prepare(`SELECT * FROM "${name.replace(/"/g, '""')}"`).all()) {
        const text = JSON.stringify(row, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString("utf8") : v));
        if (text.includes(needle)) hits.push(`${name}: ${text.slice(0, 300)}`);
      }
    }
    return hits;
  } finally {
    db.close();
  }
}
