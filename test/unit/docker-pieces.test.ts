import test from "ava";
import { DOCKER_PIECE_BYTES, joinDockerPieces } from "../../provider/logs/docker-pieces";

// What Docker's logs API sends for a line longer than 16 KiB (checked with `docker logs --timestamps`
// on a 40,000-byte line: times at bytes 0, 16415 and 32830, each "T " before 16384 bytes).

const T = "2026-12-07T05:12:09.986021497Z ";

function asDockerSends(text: string, time = T): string {
  const bytes = Buffer.from(text, "utf8");
  const pieces: string[] = [];
  for (let at = 0; at < bytes.length; at += DOCKER_PIECE_BYTES) pieces.push(bytes.subarray(at, at + DOCKER_PIECE_BYTES).toString("utf8"));
  // The first time is the line's (the reader takes it off); the later ones stay in the text.
  return pieces.join(time);
}

test("a JSON line of 40,000 bytes reads back whole, and so stays JSON", (t) => {
  const line = JSON.stringify({ severity: "ERROR", message: "x".repeat(40_000) });
  const sent = asDockerSends(line);
  t.not(sent, line);
  t.is(joinDockerPieces(sent), line);
  t.is((JSON.parse(joinDockerPieces(sent)) as { severity: string }).severity, "ERROR");
});

test("multi-byte text, times with an offset or fewer digits, and a line of exactly one piece", (t) => {
  const accents = "é".repeat(20_000);
  t.is(joinDockerPieces(asDockerSends(accents)), accents);
  t.is(joinDockerPieces(asDockerSends(accents, "2026-12-07T05:12:09.9+01:00 ")), accents);
  const one = "y".repeat(DOCKER_PIECE_BYTES);
  t.is(joinDockerPieces(one), one);
});

test("a time anywhere else is the container's own text, and is kept", (t) => {
  const own = `${"a".repeat(100)}${T}${"b".repeat(20_000)}`;
  t.is(joinDockerPieces(own), own);
  const short = `started at ${T}`;
  t.is(joinDockerPieces(short), short);
});
