import test from "ava";
import { parseServiceSpec } from "../../provider/model/service";
import { applyServiceScalingFlags, serviceScalingSchema, type ServiceScaling } from "../../provider/model/service-scaling";
import { SkiffError } from "../../provider/model/errors";

const AUTO: ServiceScaling = { scalingMode: "AUTOMATIC" };

function refused(input: unknown): string {
  const error = t_throws(() => parseServiceSpec({ template: { image: "example/app:1" }, serviceScaling: input }));
  return error.violations.map((v) => `${v.field}: ${v.reason}`).join("; ");
}
function t_throws(fn: () => unknown): SkiffError {
  try {
    fn();
  } catch (error) {
    if (error instanceof SkiffError) return error;
    throw error;
  }
  throw new Error("did not throw");
}

test("bad service scaling is refused naming the field and the reason", (t) => {
  t.regex(refused({ minInstanceCount: -1 }), /serviceScaling\.minInstanceCount: must be 0 or more/);
  t.regex(refused({ maxInstanceCount: 1.5 }), /serviceScaling\.maxInstanceCount: must be an integer/);
  t.regex(
    refused({ minInstanceCount: 5, maxInstanceCount: 2 }),
    /serviceScaling\.minInstanceCount: must not exceed maxInstanceCount \(5 > 2\)/,
  );
  t.regex(refused({ manualInstanceCount: 2 }), /serviceScaling\.manualInstanceCount: needs scalingMode MANUAL/);
  t.regex(
    refused({ scalingMode: "MANUAL", manualInstanceCount: 2, maxInstanceCount: 3 }),
    /serviceScaling\.maxInstanceCount: cannot be set when scalingMode is MANUAL/,
  );
  t.regex(refused({ scalingMode: "SOMETIMES" }), /serviceScaling\.scalingMode: must be AUTOMATIC or MANUAL/);
  t.regex(refused({ minInstanceCount: 1001 }), /serviceScaling\.minInstanceCount: must be at most 1000/);
});

test("a spec's service scaling is kept with only what is set", (t) => {
  const spec = parseServiceSpec({ template: { image: "example/app:1" }, serviceScaling: { minInstanceCount: 0, maxInstanceCount: 4 } });
  t.deepEqual(spec.serviceScaling, { scalingMode: "AUTOMATIC", maxInstanceCount: 4 });
  const manual = parseServiceSpec({ template: { image: "example/app:1" }, serviceScaling: { scalingMode: "MANUAL" } });
  t.deepEqual(manual.serviceScaling, { scalingMode: "MANUAL", manualInstanceCount: 0 });
  t.is(parseServiceSpec({ template: { image: "example/app:1" } }).serviceScaling, undefined);
});

test("gcloud's --min and --max set and unset the service's bounds", (t) => {
  t.deepEqual(applyServiceScalingFlags(AUTO, { min: 2 }), { scalingMode: "AUTOMATIC", minInstanceCount: 2 });
  t.deepEqual(applyServiceScalingFlags({ ...AUTO, minInstanceCount: 2 }, { max: 5 }), {
    scalingMode: "AUTOMATIC",
    minInstanceCount: 2,
    maxInstanceCount: 5,
  });
  t.deepEqual(applyServiceScalingFlags({ ...AUTO, minInstanceCount: 2 }, { min: "default" }), AUTO);
  t.deepEqual(applyServiceScalingFlags({ ...AUTO, minInstanceCount: 2 }, { min: 0 }), AUTO);
  t.deepEqual(applyServiceScalingFlags({ ...AUTO, maxInstanceCount: 3 }, { max: "default" }), AUTO);
});

test("gcloud's --scaling N switches to manual and drops the bounds; --max with it is refused", (t) => {
  t.deepEqual(applyServiceScalingFlags({ ...AUTO, minInstanceCount: 1, maxInstanceCount: 4 }, { scaling: 3 }), {
    scalingMode: "MANUAL",
    manualInstanceCount: 3,
  });
  t.throws(() => applyServiceScalingFlags(AUTO, { scaling: 3, max: 4 }), {
    message: /--max: cannot be set when --scaling is a fixed instance count/,
  });
});

test("gcloud's --scaling auto returns to automatic; the bounds take the manual count unless given", (t) => {
  const manual: ServiceScaling = { scalingMode: "MANUAL", manualInstanceCount: 3 };
  t.deepEqual(applyServiceScalingFlags(manual, { scaling: "auto" }), {
    scalingMode: "AUTOMATIC",
    minInstanceCount: 3,
    maxInstanceCount: 3,
  });
  t.deepEqual(applyServiceScalingFlags(manual, { scaling: "auto", min: 0, max: 6 }), { scalingMode: "AUTOMATIC", maxInstanceCount: 6 });
  t.throws(() => applyServiceScalingFlags(manual, { scaling: "auto", min: 1 }), { message: /give both --min and --max, or neither/ });
  t.deepEqual(applyServiceScalingFlags(AUTO, { scaling: "auto" }), AUTO);
  t.true(serviceScalingSchema.safeParse(applyServiceScalingFlags(manual, { scaling: "auto" })).success);
});
