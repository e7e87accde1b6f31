import test from "ava";
import { NAME_DEFAULTED, keptName, nameProps } from "../../sdk/check/kept-name";
import { UNKNOWN } from "../../sdk/preview-values/unknowns";

// A resource named by default after its logical name keeps the name it has when renamed with
// aliases (check sees its old inputs); a new resource or a replace (no old inputs) takes the default.

test("a name the program gives is sent as it is, with no marker", (t) => {
  t.deepEqual(nameProps("api", "web"), { name: "api" });
});

test("with no name given, the logical name stands in and is marked as defaulted", (t) => {
  t.deepEqual(nameProps(undefined, "web"), { name: "web", [NAME_DEFAULTED]: true });
});

test("a defaulted name keeps the name of the old inputs: a rename with aliases keeps the service", (t) => {
  t.deepEqual(keptName({ name: "web" }, { ...nameProps(undefined, "web-renamed"), project: "dev" }), { name: "web", project: "dev" });
});

test("a new resource or a replace (no old inputs) takes the logical name, without the marker", (t) => {
  t.deepEqual(keptName({}, nameProps(undefined, "web")), { name: "web" });
});

test("a name the program gives wins over the old one: renaming by name is a replace", (t) => {
  t.deepEqual(keptName({ name: "web" }, nameProps("api", "web")), { name: "api" });
});

test("an old name not known (a preview of a resource whose name came from an output) is not kept", (t) => {
  t.deepEqual(keptName({ name: UNKNOWN }, nameProps(undefined, "web")), { name: "web" });
});
