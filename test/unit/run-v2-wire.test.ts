import test from "ava";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { decodeMessage, durationSeconds, encodeMessage, hasFieldPath, maskPaths, packAny } from "../../provider/cloudrun-v2/wire-codec";
import { ENUMS, MESSAGES, WIRE_SCHEMA_SOURCE } from "../../provider/cloudrun-v2/wire-schema";
import type { FieldViolation } from "../../provider/model/errors";

// Proto3 JSON along the Cloud Run v2 schema: what requests may hold, how enums, int64 and zero
// values read, how answers are written for a client that asked for enums as numbers, and that the
// generated schema is the one the installed @google-cloud/run ships.

const REPO = path.resolve(__dirname, "..", "..", "..");

test("wire-schema.ts is what scripts/generate-run-v2-schema.js makes of the installed @google-cloud/run's protos", (t) => {
  const generator = require(path.join(REPO, "scripts", "generate-run-v2-schema.js")) as {
    schemaFromProtos(protos: unknown): { messages: Record<string, string>; enums: Record<string, string> };
    protosJsonPath(): string;
    clientVersion(): string;
  };
  const protos: unknown = JSON.parse(readFileSync(generator.protosJsonPath(), "utf8"));
  const fresh = generator.schemaFromProtos(protos);
  t.deepEqual(MESSAGES, fresh.messages, "run `node scripts/generate-run-v2-schema.js` after updating @google-cloud/run");
  t.deepEqual(ENUMS, fresh.enums);
  t.is(WIRE_SCHEMA_SOURCE, `@google-cloud/run ${generator.clientVersion()}`);
});

function decode(type: string, json: unknown, root = "service") {
  const violations: FieldViolation[] = [];
  const value = decodeMessage(type, json, root, violations);
  return { value, violations };
}

test("enums read as numbers (enum-encoding=int) or names, and come out as names", (t) => {
  const { value, violations } = decode("Service", {
    ingress: 2,
    traffic: [{ type: "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", revision: "r", percent: 100 }],
  });
  t.deepEqual(violations, []);
  t.deepEqual(value, {
    ingress: "INGRESS_TRAFFIC_INTERNAL_ONLY",
    traffic: [{ type: "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", revision: "r", percent: 100 }],
  });
});

test("an enum value that does not exist, by number or name, is a violation at its path", (t) => {
  const { violations } = decode("Service", { ingress: 99, traffic: [{}, { type: "SOMETIMES" }] });
  t.deepEqual(
    violations.map((v) => v.field),
    ["service.ingress", "service.traffic[1].type"],
  );
  t.regex(
    violations[0].reason,
    /^unknown enum value 99 for IngressTraffic; expected one of INGRESS_TRAFFIC_UNSPECIFIED, INGRESS_TRAFFIC_ALL/,
  );
});

test("unknown fields, wrong types and durations that are not proto Durations are violations, each at its path", (t) => {
  const { violations } = decode("Service", {
    colour: "blue",
    labels: "a=b",
    template: {
      timeout: "5 minutes",
      maxInstanceRequestConcurrency: "many",
      containers: [
        {
          image: 7,
          env: [
            { name: "A", value: "1" },
            { name: "B", valu: "2" },
          ],
        },
      ],
    },
  });
  t.deepEqual(
    violations.map((v) => `${v.field}: ${v.reason}`),
    [
      'service.colour: unknown field "colour": Service has no such field',
      "service.labels: must be a JSON object (a map)",
      'service.template.timeout: must be a duration in seconds such as "300s" or "1.5s", got "5 minutes"',
      'service.template.maxInstanceRequestConcurrency: must be an integer, got "many"',
      "service.template.containers[0].image: must be a string, got 7",
      'service.template.containers[0].env[1].valu: unknown field "valu": EnvVar has no such field',
    ],
  );
});

test("proto names (snake_case) read as their JSON names; int64 from strings; zero values are unset unless the field has presence", (t) => {
  const { value, violations } = decode("Job", {
    launch_stage: "LAUNCH_STAGE_UNSPECIFIED",
    generation: "12",
    client: "",
    template: { task_count: 0, template: { max_retries: 0, containers: [{ image: "img", env: [{ name: "EMPTY", value: "" }] }] } },
  });
  t.deepEqual(violations, []);
  t.deepEqual(value, {
    generation: 12,
    template: { template: { maxRetries: 0, containers: [{ image: "img", env: [{ name: "EMPTY", value: "" }] }] } },
  });
});

test("answers: enums as numbers when asked, else names; int64 as strings; undefined fields left out; a field the schema lacks is a bug", (t) => {
  const service = {
    name: "n",
    generation: 3,
    ingress: "INGRESS_TRAFFIC_ALL",
    uri: undefined,
    conditions: [{ type: "Ready", state: "CONDITION_SUCCEEDED" }],
  };
  t.deepEqual(encodeMessage("Service", service, { intEnums: true }), {
    name: "n",
    generation: "3",
    ingress: 1,
    conditions: [{ type: "Ready", state: 4 }],
  });
  t.deepEqual(encodeMessage("Service", service, { intEnums: false }), {
    name: "n",
    generation: "3",
    ingress: "INGRESS_TRAFFIC_ALL",
    conditions: [{ type: "Ready", state: "CONDITION_SUCCEEDED" }],
  });
  t.throws(() => encodeMessage("Service", { colour: "blue" }, { intEnums: false }), { message: 'BUG: Service has no field "colour"' });
  t.deepEqual(packAny("Execution", { name: "e" }, { intEnums: false }), {
    "@type": "type.googleapis.com/google.cloud.run.v2.Execution",
    name: "e",
  });
});

test("field paths of update masks: JSON or proto names, through messages, ending at maps and lists", (t) => {
  t.deepEqual(maskPaths("labels, template.max_instance_request_concurrency,,traffic"), [
    "labels",
    "template.maxInstanceRequestConcurrency",
    "traffic",
  ]);
  t.true(hasFieldPath("Service", "template.containers"));
  t.true(hasFieldPath("Service", "labels.team"), "a map key");
  t.true(hasFieldPath("Job", "template.template.maxRetries"));
  t.false(hasFieldPath("Service", "template.containers.image"), "not into a list");
  t.false(hasFieldPath("Service", "template.colour"));
  t.is(durationSeconds("1.5s"), 1.5);
  t.is(durationSeconds("5 minutes"), undefined);
});
