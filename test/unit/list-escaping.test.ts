import test from "ava";
import { envListFlag, listFlag, splitList } from "../../provider/cli/flags";

// gcloud's list escaping (gcloud topic escaping): values with commas in list and dict flags.

test("a leading ^DELIM^ makes DELIM the separator, so items may hold commas; without it, commas separate", (t) => {
  t.deepEqual(splitList("a, b ,c"), ["a", "b", "c"]);
  t.deepEqual(splitList("^@^HOSTS=a,b@MODE=x"), ["HOSTS=a,b", "MODE=x"]);
  t.deepEqual(splitList("^##^one,1##two,2"), ["one,1", "two,2"]);
  t.deepEqual(envListFlag("--set-env-vars")('^|^JSON={"a":1,"b":2}|N=1'), { JSON: '{"a":1,"b":2}', N: "1" });
});

test("env and list flags read the escaped form as gcloud does", (t) => {
  t.deepEqual(envListFlag("--set-env-vars")("^;^HOSTS=a.example,b.example;PORTS=80,443"), {
    HOSTS: "a.example,b.example",
    PORTS: "80,443",
  });
  t.deepEqual(listFlag("^;^--list=a,b;--verbose"), ["--list=a,b", "--verbose"]);
  t.deepEqual(listFlag("x,y"), ["x", "y"]);
});
