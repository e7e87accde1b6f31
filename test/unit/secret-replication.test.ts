import test from "ava";
import { replicationProblem } from "../../provider/cli/secret-replication";

// secrets create's replication flags, checked with gcloud's rules (surface/secrets/create.py):
// each refusal here is one gcloud gives, each pass one it accepts.

test("gcloud's accepted forms pass: none, automatic (with a KMS key or not), user-managed with locations", (t) => {
  t.is(replicationProblem({}), undefined);
  t.is(replicationProblem({ replicationPolicy: "automatic" }), undefined);
  t.is(
    replicationProblem({ replicationPolicy: "automatic", kmsKeyName: "projects/p/locations/global/keyRings/r/cryptoKeys/k" }),
    undefined,
  );
  t.is(replicationProblem({ replicationPolicy: "user-managed", locations: ["us-central1", "europe-west1"] }), undefined);
});

test("gcloud's refusals are refused, naming the flag", (t) => {
  t.regex(String(replicationProblem({ replicationPolicy: "regional" })), /^--replication-policy: "regional" is invalid/);
  t.regex(String(replicationProblem({ replicationPolicy: "user-managed" })), /^--replication-policy: .*--locations must also be provided/);
  t.regex(
    String(replicationProblem({ replicationPolicy: "automatic", locations: ["us-central1"] })),
    /^--locations: .*"automatic" then --locations are not allowed/,
  );
  t.regex(String(replicationProblem({ locations: ["us-central1"] })), /^--locations: Locations are only allowed .*"user-managed"/);
  t.regex(
    String(replicationProblem({ replicationPolicy: "user-managed", locations: ["us-central1"], kmsKeyName: "k" })),
    /^--kms-key-name: /,
  );
});
