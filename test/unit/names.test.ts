import test from "ava";
import { randomLetters, revisionName, serviceUrl, tagUrl } from "../../provider/model/derived-names";
import { normalizeTime } from "../../provider/logs/log-time";
import { inIpv4Subnet } from "../../provider/runtime/host-network";
import { hasListener, isLoopback, listenerReach } from "../../provider/runtime/readiness";

test("revision names are <service>-<5 digits>-<3 lowercase letters>", (t) => {
  t.is(revisionName("hello", 1, "abc"), "hello-00001-abc");
  t.is(revisionName("hello", 123, "xyz"), "hello-00123-xyz");
  t.regex(revisionName("hello", 2), /^hello-00002-[a-z]{3}$/);
  t.is(
    randomLetters(3, () => 0),
    "aaa",
  );
  t.is(
    randomLetters(2, (n) => n - 1),
    "zz",
  );
});

test("URLs: default project, other projects, tags", (t) => {
  t.is(serviceUrl("default", "hello", 8080), "http://hello.localhost:8080");
  t.is(serviceUrl("staging", "hello", 8080), "http://hello.staging.localhost:8080");
  t.is(tagUrl("default", "hello", "canary", 8080), "http://canary---hello.localhost:8080");
});

test("Docker timestamps compare as strings once their fractions are padded", (t) => {
  t.is(normalizeTime("2026-11-25T10:00:00.1Z"), "2026-11-25T10:00:00.100000000Z");
  t.true(normalizeTime("2026-11-25T10:00:00.12Z") > normalizeTime("2026-11-25T10:00:00.1Z"));
  t.true(normalizeTime("2026-11-25T10:00:01Z") > normalizeTime("2026-11-25T10:00:00.999999999Z"));
});

test("readiness finds a LISTEN socket on the port in a /proc/net/tcp table", (t) => {
  const table = [
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
    "   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0",
    "   1: 0100007F:0050 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 2 1 0 20 4 30 10 -1",
  ].join("\n");
  t.true(hasListener(table, 8080));
  t.false(hasListener(table, 80), "an established connection is not a listener");
  t.false(hasListener(table, 9090));
});

test("readiness tells a listener others can reach from one on a loopback address only", (t) => {
  const head = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode";
  const line = (address: string) =>
    `   0: ${address}:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0`;
  t.is(listenerReach([[head, line("00000000")].join("\n")], 8080), "reachable", "0.0.0.0");
  t.is(listenerReach([[head, line("0200A8C0")].join("\n")], 8080), "reachable", "192.168.0.2, an interface's address");
  t.is(listenerReach([[head, line("0100007F")].join("\n")], 8080), "loopback", "127.0.0.1");
  t.is(listenerReach([[head, line("00000000000000000000000001000000")].join("\n")], 8080), "loopback", "::1");
  t.is(listenerReach([[head, line("0000000000000000FFFF00000100007F")].join("\n")], 8080), "loopback", "::ffff:127.0.0.1");
  t.is(listenerReach([[head, line("00000000000000000000000000000000")].join("\n")], 8080), "reachable", "::");
  t.is(
    listenerReach([[head, line("0100007F")].join("\n"), [head, line("00000000000000000000000000000000")].join("\n")], 8080),
    "reachable",
  );
  t.is(listenerReach([[head, line("0100007F")].join("\n")], 80), "none");
  t.true(isLoopback("7F000001", false), "127.0.0.1 on a big-endian host");
  t.false(isLoopback("7F000001", true), "on a little-endian host that is 1.0.0.127, not loopback");
});

test("a host address in the bridge's subnet means the host routes to the bridge", (t) => {
  t.true(inIpv4Subnet("172.17.0.1", "172.17.0.0/16"));
  t.true(inIpv4Subnet("172.17.255.254", "172.17.0.0/16"));
  t.false(inIpv4Subnet("172.18.0.1", "172.17.0.0/16"));
  t.false(inIpv4Subnet("192.0.2.2", "172.17.0.0/16"));
  t.false(inIpv4Subnet("fe80::1", "172.17.0.0/16"), "IPv6 addresses are not in an IPv4 subnet");
  t.true(inIpv4Subnet("10.1.2.3", "0.0.0.0/0"));
  t.false(inIpv4Subnet("10.1.2.3", "10.1.2.0/33"), "a malformed prefix matches nothing");
});
