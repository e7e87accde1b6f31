import test from "ava";
import { KeyedSignal } from "../../provider/controller/keyed-signal";

// The waiter waitRevision uses instead of polling: a notify of the key ends every wait on it at once.

test("a wait ends at the next notify of its key, not of another key, and after its timeout at the latest", async (t) => {
  const signal = new KeyedSignal();
  const order: string[] = [];
  const a = signal.wait("p/a", 5_000).then(() => order.push("a"));
  const b = signal.wait("p/b", 50).then(() => order.push("b timed out"));
  const a2 = signal.wait("p/a", 5_000).then(() => order.push("a2"));
  signal.notify("p/c");
  await new Promise((r) => setTimeout(r, 10));
  t.deepEqual(order, []);
  const started = Date.now();
  signal.notify("p/a");
  await Promise.all([a, a2]);
  t.true(Date.now() - started < 40);
  await b;
  t.deepEqual(order, ["a", "a2", "b timed out"]);
});
