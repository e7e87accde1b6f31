import test from "ava";
import { NoInstanceError, RevisionHandler } from "../../provider/scaling/revision-handler";

test("leases go to the least busy instance and are counted until released", async (t) => {
  const handler = new RevisionHandler("r", () => t.fail("no demand expected"), () => 1000);
  handler.addEndpoint({ instanceId: "a", hostPort: 1 });
  handler.addEndpoint({ instanceId: "b", hostPort: 2 });
  const first = await handler.acquire();
  const second = await handler.acquire();
  t.not(first.endpoint.instanceId, second.endpoint.instanceId);
  t.is(handler.totalInFlight, 2);
  first.release();
  first.release(); // a second release is harmless
  t.is(handler.totalInFlight, 1);
});

test("a request with no instance asks for one and waits for it", async (t) => {
  let demanded = 0;
  const handler = new RevisionHandler("r", () => demanded++, () => 5000);
  const pending = handler.acquire();
  t.is(demanded, 1);
  handler.addEndpoint({ instanceId: "a", hostPort: 7 });
  const lease = await pending;
  t.is(lease.endpoint.hostPort, 7);
});

test("a request that waits past the limit fails with no available instance", async (t) => {
  const handler = new RevisionHandler("r", () => undefined, () => 20);
  await t.throwsAsync(handler.acquire(), { instanceOf: NoInstanceError, message: /no available instance/ });
});

test("a removed endpoint gets no new requests; drained waits for the old ones", async (t) => {
  const handler = new RevisionHandler("r", () => undefined, () => 20);
  handler.addEndpoint({ instanceId: "a", hostPort: 1 });
  const lease = await handler.acquire();
  handler.removeEndpoint("a");
  t.false(handler.hasEndpoints());
  setTimeout(() => lease.release(), 30);
  await handler.drained("a", 5000);
  t.is(handler.inFlightOf("a"), 0);
});
