import test from "ava";
import { dockerLogConfig } from "../../provider/runtime/docker-runtime";

// Docker drops a whole json-file at a time: with 5 files of a quarter of the service log's cap it
// always holds at least that cap of a container's log, and at most a quarter more.

test("Docker's log of each container is 5 files of a quarter of the service log's cap", (t) => {
  t.deepEqual(dockerLogConfig(64 * 1024 ** 2), { Type: "json-file", Config: { "max-size": "16384k", "max-file": "5" } });
  t.deepEqual(dockerLogConfig(4 * 1024 ** 2), { Type: "json-file", Config: { "max-size": "1024k", "max-file": "5" } });
  t.deepEqual(dockerLogConfig(64 * 1024 + 1).Config, { "max-size": "17k", "max-file": "5" }, "rounded up, never below the cap");
});
