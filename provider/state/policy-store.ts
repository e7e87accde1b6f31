import type { Database } from "./db";
import type { Binding } from "../model/iam";

/** What a policy belongs to. */
export type PolicyKind = "service" | "job" | "secret";

/** IAM bindings by resource; undefined where none were ever set (the caller knows the default). */
export class PolicyStore {
  constructor(private readonly db: Database) {}

  get(project: string, kind: PolicyKind, name: string): Binding[] | undefined {
    const row = this.db
      .prepare("SELECT bindings FROM iam_policies WHERE project = ? AND kind = ? AND name = ?")
      .get(project, kind, name) as { bindings: string } | undefined;
    return row ? (JSON.parse(row.bindings) as Binding[]) : undefined;
  }

  put(project: string, kind: PolicyKind, name: string, bindings: readonly Binding[]): void {
    this.db
      .prepare(
        "INSERT INTO iam_policies (project, kind, name, bindings) VALUES (?, ?, ?, ?) ON CONFLICT (project, kind, name) DO UPDATE SET bindings = excluded.bindings",
      )
      .run(project, kind, name, JSON.stringify(bindings));
  }

  delete(project: string, kind: PolicyKind, name: string): void {
    this.db.prepare("DELETE FROM iam_policies WHERE project = ? AND kind = ? AND name = ?").run(project, kind, name);
  }
}
