import test from "ava";
import { describeField, reportError } from "../../provider/cli/output";
import { invalid } from "../../provider/model/errors";

// deploy's errors name the flag the user gave, as gcloud's do ("--no-traffic not supported when
// creating a new service": command_lib/run/config_changes.py, NoTrafficChange).

test("a refused --no-traffic names the flag, with the API field beside it; --tag likewise", (t) => {
  t.is(describeField("noTraffic"), "--no-traffic (noTraffic)");
  t.is(describeField("tag"), "--tag (tag)");
});

test("the error line and exit code of a refused --no-traffic on a service with nothing serving", (t) => {
  const written: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string) => written.push(chunk) > 0) as typeof process.stderr.write;
  try {
    const code = reportError(invalid("noTraffic", "the service has no ready revision to keep serving"));
    t.is(code, 1);
  } finally {
    process.stderr.write = write;
  }
  t.deepEqual(written, ["skiff: error: --no-traffic (noTraffic): the service has no ready revision to keep serving\n"]);
});
