import test from "ava";
import { directRouteCovers } from "../../provider/runtime/host-network";

// /proc/net/route of a Linux host running Docker with no container: docker0 is down (so
// os.networkInterfaces leaves it out) but the kernel still routes 172.17.0.0/16 to it.
const TABLE = [
  "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT",
  "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0",
  "docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0",
  "eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0",
  "",
].join("\n");

test("a direct route to the bridge's subnet counts, though its interface is down", (t) => {
  t.true(directRouteCovers(TABLE, "172.17.0.0/16"));
  t.true(directRouteCovers(TABLE, "172.17.4.0/24"), "a subnet inside a routed one");
});

test("the default route through a gateway does not count, nor a subnet wider than the route", (t) => {
  t.false(directRouteCovers(TABLE, "172.18.0.0/16"), "only the default route covers it");
  t.false(directRouteCovers(TABLE, "172.16.0.0/12"), "wider than the docker0 route");
  t.false(directRouteCovers(TABLE, "10.0.0.0/8"));
});

test("no table, a malformed subnet or malformed lines count as unreachable", (t) => {
  t.false(directRouteCovers("", "172.17.0.0/16"));
  t.false(directRouteCovers(TABLE, "172.17.0.0/0"));
  t.false(directRouteCovers(TABLE, "not-a-subnet"));
  t.false(directRouteCovers("Iface\tDestination\ndocker0\tzz\t00\t1\n", "172.17.0.0/16"));
});
