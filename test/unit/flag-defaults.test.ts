import test from "ava";
import { deployCommand, templateFromFlags } from "../../provider/cli/deploy";
import type { Service } from "../../provider/model/service";
import { parseServiceTemplate } from "../../provider/model/template";

// gcloud's special value "default" for --concurrency, --min-instances, --max-instances and --port:
// the setting goes back to the platform's default (scripts use it to undo an earlier deploy's).

test('"default" parses for --concurrency, --min-instances and --max-instances; anything else not a number is still refused', (t) => {
  const command = deployCommand();
  command.parseOptions(["--concurrency", "default", "--min-instances", "default", "--max-instances", "7"]);
  t.like(command.opts(), { concurrency: "default", minInstances: "default", maxInstances: 7 });
  t.throws(() => deployCommand().parseOptions(["--concurrency", "lots"]), { message: /--concurrency: must be a whole number, got "lots"/ });
});

test('"default" takes the setting back to the template\'s default; a number still sets it', (t) => {
  const existing = {
    template: parseServiceTemplate({
      image: "img",
      maxInstanceRequestConcurrency: 5,
      scaling: { minInstanceCount: 2, maxInstanceCount: 9 },
    }),
  } as Service;
  const reset = parseServiceTemplate(
    templateFromFlags(existing, { traffic: true, concurrency: "default", minInstances: "default", maxInstances: "default" }),
  );
  t.is(reset.maxInstanceRequestConcurrency, 80);
  t.deepEqual(reset.scaling, { minInstanceCount: 0, maxInstanceCount: 100 });
  const one = parseServiceTemplate(templateFromFlags(existing, { traffic: true, minInstances: "default" }));
  t.deepEqual(one.scaling, { minInstanceCount: 0, maxInstanceCount: 9 }, "only the flag given is reset");
  t.is(one.maxInstanceRequestConcurrency, 5);
});

test("--port default is 8080", (t) => {
  const existing = { template: parseServiceTemplate({ image: "img", port: 9000 }) } as Service;
  t.is(parseServiceTemplate(templateFromFlags(existing, { traffic: true }, [{ argv: ["--port", "default"] }])).port, 8080);
});
