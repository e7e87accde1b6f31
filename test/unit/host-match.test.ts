import test from "ava";
import { parseHost as matchHost } from "../../provider/model/derived-names";
import { RoutingTable } from "../../provider/router/routing-table";

test("service hosts in the default project and in others, with or without the port", (t) => {
  t.deepEqual(matchHost("hello.localhost:8080"), { kind: "service", project: "default", service: "hello" });
  t.deepEqual(matchHost("hello.localhost"), { kind: "service", project: "default", service: "hello" });
  t.deepEqual(matchHost("Hello.Staging.localhost:8080"), { kind: "service", project: "staging", service: "hello" });
});

test("tag hosts split on the triple hyphen", (t) => {
  t.deepEqual(matchHost("canary---hello.localhost:8080"), { kind: "service", project: "default", service: "hello", tag: "canary" });
  t.deepEqual(matchHost("canary---hello.team-a.localhost"), { kind: "service", project: "team-a", service: "hello", tag: "canary" });
});

test("anything else is a domain to look up, without its port", (t) => {
  t.deepEqual(matchHost("api.example.test:8080"), { kind: "domain", domain: "api.example.test" });
  t.deepEqual(matchHost("a.b.c.localhost"), { kind: "domain", domain: "a.b.c.localhost" });
  t.is(matchHost(undefined), undefined);
  t.is(matchHost(""), undefined);
});

test("the routing table answers 404 naming an unknown host, and routes tags and domains", (t) => {
  const table = new RoutingTable();
  const unknown = table.route(matchHost("nope.localhost:1"), "nope.localhost:1");
  t.false(unknown.ok);
  if (!unknown.ok) {
    t.is(unknown.status, 404);
    t.regex(unknown.message, /nope/);
  }
  table.setService("default", "hello", {
    pick: () => "hello-00002-abc",
    tags: new Map([["old", "hello-00001-xyz"]]),
    timeoutMs: () => 5000,
    access: { internalOnly: false, public: true, anyAuthenticated: false, invokers: new Set(), customAudiences: new Set() },
  });
  table.setDomain("api.example.test", { project: "default", service: "hello" });
  t.like(table.route(matchHost("hello.localhost"), "hello.localhost"), { ok: true, revision: "hello-00002-abc", timeoutMs: 5000 });
  t.like(table.route(matchHost("old---hello.localhost"), "old---hello.localhost"), { ok: true, revision: "hello-00001-xyz" });
  t.like(table.route(matchHost("api.example.test:80"), "api.example.test:80"), { ok: true, service: "hello" });
  t.like(table.route(matchHost("nope---hello.localhost"), "nope---hello.localhost"), { ok: false, status: 404 });
  table.setDomain("api.example.test", undefined);
  t.like(table.route(matchHost("api.example.test"), "api.example.test"), { ok: false, status: 404 });
});
