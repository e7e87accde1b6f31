import test from "ava";
import * as packet from "dns-packet";
import { answerQuery, skiffNames } from "../../provider/platform/dns-server";

// The DNS the engine gives its containers, on bytes: which names it answers, and with what.

const addressFor = skiffNames("172.30.0.1", (domain) => domain === "api.example.test");
const query = (name: string, type: packet.RecordType = "A") =>
  packet.encode({ id: 42, type: "query", flags: packet.RECURSION_DESIRED, questions: [{ type, name }] });

function answer(name: string, type: packet.RecordType = "A") {
  const result = answerQuery(query(name, type), addressFor);
  return typeof result === "string" || result === undefined ? result : packet.decode(result);
}

test("skiff's host names, mapped domains and metadata.google.internal resolve to the gateway, where the ingress and metadata server listen", (t) => {
  for (const name of [
    "api.localhost",
    "API.Localhost.",
    "canary---api.staging.localhost",
    "api.example.test",
    "metadata.google.internal",
  ]) {
    const decoded = answer(name);
    t.not(typeof decoded, "string", name);
    if (typeof decoded === "object") {
      t.is(decoded.id, 42);
      t.is(decoded.type, "response");
      t.deepEqual(
        decoded.answers?.map((a) => [a.type, (a as { data: string }).data, (a as { ttl: number }).ttl]),
        [["A", "172.30.0.1", 5]],
        name,
      );
    }
  }
});

test("other record types of those names exist with no records (NOERROR, empty): a client falls back to the A record", (t) => {
  const decoded = answer("api.localhost", "AAAA");
  t.true(typeof decoded === "object" && (decoded as { rcode?: string }).rcode === "NOERROR" && decoded.answers?.length === 0);
});

test("every other name goes to the host's resolvers; bare localhost is not the engine's; garbage gets no answer", (t) => {
  t.is(answer("example.com"), "forward");
  t.is(answer("localhost"), "forward");
  t.is(answer("other.example.test"), "forward");
  t.is(answerQuery(Buffer.from("not dns at all"), addressFor), undefined);
});
