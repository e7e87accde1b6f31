import * as path from "node:path";
import { fixturePath } from "./fixture-image";
import { npmPackages } from "./in-container";
import { buildNodeImage } from "./node-image";

/** The `pg` client the app connects with: the npm registry's, by its exact version. */
export const PG_CLIENT = "pg@8.23.1";

let building: Promise<string> | undefined;

/** test/fixtures/cloudsql-app.js with `pg` at /node_modules, `FROM scratch` on the host's node. */
export function cloudSqlAppImage(): Promise<string> {
  building ??= npmPackages([PG_CLIENT])
    .then((modules) =>
      buildNodeImage({
        script: fixturePath("cloudsql-app.js"),
        repository: "skiff-test/cloudsql-app",
        alongside: [path.resolve(modules)],
        labels: { "skiff.test": "true" },
      }),
    )
    .catch((error: unknown) => {
      building = undefined;
      throw error;
    });
  return building;
}
