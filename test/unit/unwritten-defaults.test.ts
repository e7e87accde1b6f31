import test from "ava";
import { withoutUnwrittenDefaults } from "../../sdk/gcp/unwritten-defaults";

// The engine's meaning of a template, for these tests: port 8080 and concurrency 80 when left out.
function meaning(template: any): string {
  const c = template.containers?.[0] ?? {};
  return JSON.stringify({
    port: c.ports?.containerPort ?? 8080,
    envs: c.envs ?? [],
    concurrency: template.maxInstanceRequestConcurrency ?? 80,
  });
}

test("fields the program left out are dropped where the engine filled in its default", (t) => {
  const written = { containers: [{ envs: [{ name: "A", value: "1" }] }] };
  const readBack = {
    containers: [{ envs: [{ name: "A", value: "1" }], ports: { containerPort: 8080 } }],
    maxInstanceRequestConcurrency: 80,
  };
  t.deepEqual(
    withoutUnwrittenDefaults(readBack, written, (c) => meaning(c) === meaning(readBack)),
    written,
  );
});

test("a value changed outside the stack stays, and so does an added list element", (t) => {
  const written = { containers: [{ envs: [{ name: "A", value: "1" }] }] };
  const readBack = {
    containers: [
      {
        envs: [
          { name: "A", value: "1" },
          { name: "DEBUG", value: "1" },
        ],
        ports: { containerPort: 9000 },
      },
    ],
    maxInstanceRequestConcurrency: 80,
  };
  t.deepEqual(
    withoutUnwrittenDefaults(readBack, written, (c) => meaning(c) === meaning(readBack)),
    {
      containers: [
        {
          envs: [
            { name: "A", value: "1" },
            { name: "DEBUG", value: "1" },
          ],
          ports: { containerPort: 9000 },
        },
      ],
    },
  );
});

test("a default the program wrote itself is kept as written", (t) => {
  const written = { containers: [{}], maxInstanceRequestConcurrency: 80 };
  const readBack = { containers: [{ ports: { containerPort: 8080 } }], maxInstanceRequestConcurrency: 80 };
  t.deepEqual(
    withoutUnwrittenDefaults(readBack, written, (c) => meaning(c) === meaning(readBack)),
    { containers: [{}], maxInstanceRequestConcurrency: 80 },
  );
});
