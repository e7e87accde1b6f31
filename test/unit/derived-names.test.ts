import test from "ava";
import { parseHost, parseScopedKey, scopedKey, serviceHost, serviceUrl, tagHost, tagUrl } from "../../provider/model/derived-names";

// Every derived name is built and parsed in one module; what is built must parse back to what it was built from.

const projects = ["default", "staging", "team-a", "p1"];
const services = ["hello", "a", "api-v2", "x".repeat(49)];
const tags = ["canary", "v2", "blue-green"];

test("a scoped key parses back to its project and name", (t) => {
  for (const project of projects) {
    for (const name of [...services, "hello-00001-abc"]) {
      const key = scopedKey(project, name);
      t.deepEqual(parseScopedKey(key), { project, name });
    }
  }
  t.not(scopedKey("a-b", "c"), scopedKey("a", "b-c"), "keys of different objects never collide");
});

test("a service host parses back to its project and service, with or without a port", (t) => {
  for (const project of projects) {
    for (const service of services) {
      const host = serviceHost(project, service);
      t.deepEqual(parseHost(host), { kind: "service", project, service });
      t.deepEqual(parseHost(`${host}:8080`), { kind: "service", project, service });
      t.deepEqual(parseHost(new URL(serviceUrl(project, service, 8080)).host), { kind: "service", project, service });
    }
  }
});

test("a tag host parses back to its project, service and tag", (t) => {
  for (const project of projects) {
    for (const service of services) {
      for (const tag of tags) {
        const expected = { kind: "service", project, service, tag };
        t.deepEqual(parseHost(tagHost(project, service, tag)), expected);
        t.deepEqual(parseHost(new URL(tagUrl(project, service, tag, 9000)).host), expected);
      }
    }
  }
});

test("the default project has the short host; other projects add a label", (t) => {
  t.is(serviceHost("default", "hello"), "hello.localhost");
  t.is(serviceHost("staging", "hello"), "hello.staging.localhost");
  t.is(tagHost("default", "hello", "canary"), "canary---hello.localhost");
});
