import test from "ava";
import { parseCloudTraceContext, parseTraceparent, resolveTrace, spanIdToDecimal } from "../../provider/router/trace-context";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";

test("a valid traceparent is read; version ff, all-zero ids, upper case and extra fields in version 00 are not", (t) => {
  t.deepEqual(parseTraceparent(`00-${TRACE}-00f067aa0ba902b7-01`), { traceId: TRACE, spanId: "00f067aa0ba902b7", sampled: true });
  t.deepEqual(parseTraceparent(`00-${TRACE}-00f067aa0ba902b7-00`)?.sampled, false);
  t.is(parseTraceparent(`ff-${TRACE}-00f067aa0ba902b7-01`), undefined);
  t.is(parseTraceparent(`00-${"0".repeat(32)}-00f067aa0ba902b7-01`), undefined);
  t.is(parseTraceparent(`00-${TRACE}-${"0".repeat(16)}-01`), undefined);
  t.is(parseTraceparent(`00-${TRACE.toUpperCase()}-00f067aa0ba902b7-01`), undefined);
  t.is(parseTraceparent(`00-${TRACE}-00f067aa0ba902b7-01-extra`), undefined);
  // A later version may carry more fields.
  t.is(parseTraceparent(`01-${TRACE}-00f067aa0ba902b7-01-extra`)?.traceId, TRACE);
  t.is(parseTraceparent("garbage"), undefined);
  t.is(parseTraceparent(undefined), undefined);
});

test("X-Cloud-Trace-Context: TRACE/SPAN;o=1 with a decimal uint64 span, the span and options optional", (t) => {
  t.deepEqual(parseCloudTraceContext(`${TRACE}/1;o=1`), { traceId: TRACE, spanId: "0000000000000001", sampled: true });
  t.deepEqual(parseCloudTraceContext(`${TRACE.toUpperCase()}`), { traceId: TRACE, spanId: undefined, sampled: false });
  t.is(parseCloudTraceContext(`${TRACE}/18446744073709551615`)?.spanId, "ffffffffffffffff");
  t.is(parseCloudTraceContext(`${TRACE}/18446744073709551616`), undefined);
  t.is(parseCloudTraceContext("abc/1"), undefined);
});

test("valid client headers go on unchanged; missing or invalid ones are made from the trace", (t) => {
  const both = resolveTrace(`00-${TRACE}-00f067aa0ba902b7-01`, "105445aa7843bc8bf206b12000100000/1;o=1");
  t.is(both.traceId, TRACE);
  t.is(
    both.headerLines,
    `traceparent: 00-${TRACE}-00f067aa0ba902b7-01\r\nx-cloud-trace-context: 105445aa7843bc8bf206b12000100000/1;o=1\r\n`,
  );
  const fromW3c = resolveTrace(`00-${TRACE}-00f067aa0ba902b7-01`, undefined);
  t.is(
    fromW3c.headerLines,
    `traceparent: 00-${TRACE}-00f067aa0ba902b7-01\r\nx-cloud-trace-context: ${TRACE}/${0x00f067aa0ba902b7n};o=1\r\n`,
  );
  const fromCloud = resolveTrace("bad", `${TRACE}/5;o=0`);
  t.is(fromCloud.headerLines, `traceparent: 00-${TRACE}-0000000000000005-00\r\nx-cloud-trace-context: ${TRACE}/5;o=0\r\n`);
  const fresh = resolveTrace(undefined, undefined);
  t.regex(fresh.traceId, /^[0-9a-f]{32}$/);
  t.regex(fresh.spanId, /^[0-9a-f]{16}$/);
  t.not(fresh.traceId, resolveTrace(undefined, undefined).traceId);
  t.is(
    fresh.headerLines,
    `traceparent: 00-${fresh.traceId}-${fresh.spanId}-00\r\nx-cloud-trace-context: ${fresh.traceId}/${BigInt(`0x${fresh.spanId}`)};o=0\r\n`,
  );
});

test("a span id in decimal is exact over the whole uint64 range, as BigInt gives it", (t) => {
  const cases = ["0000000000000001", "00f067aa0ba902b7", "ffffffffffffffff", "8000000000000000", "0000000000989680", "00000000009896ff"];
  for (let i = 0; i < 2000; i++) cases.push(resolveTrace(undefined, undefined).spanId);
  for (const hex of cases) t.is(spanIdToDecimal(hex), BigInt(`0x${hex}`).toString(), hex);
});

test("new ids are random, never all zeros, and not repeated across the random pool's refills", (t) => {
  const seen = new Set<string>();
  for (let i = 0; i < 1000; i++) {
    const trace = resolveTrace(undefined, undefined);
    t.false(seen.has(trace.traceId));
    seen.add(trace.traceId);
    t.regex(trace.traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    t.not(trace.spanId, "0".repeat(16));
  }
});
