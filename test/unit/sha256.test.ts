import test from "ava";
import fc from "fast-check";
import { createHash } from "node:crypto";
import { sha256Hex } from "../../provider/base/sha256";
import { projectNumber } from "../../provider/model/derived-names";

// base/sha256.ts is SHA-256 by hand (the CLI's start-up does without node:crypto); it must agree with node:crypto byte for byte.

const nodeSha256 = (text: string): string => createHash("sha256").update(text, "utf8").digest("hex");

test("the standard's examples and the padding's edge lengths hash as node:crypto does", (t) => {
  // FIPS 180-2 appendix B's "abc" and its two-block message; 55, 56 and 64 bytes straddle the padding's block boundary.
  t.is(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  t.is(
    sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
  );
  t.is(sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  for (const length of [1, 54, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000]) {
    const text = "x".repeat(length);
    t.is(sha256Hex(text), nodeSha256(text), `${length} bytes`);
  }
});

test("any text, ASCII or not, hashes as node:crypto does", (t) => {
  // fast-check throws with the shortest failing text when any of the 500 hashes differently.
  t.notThrows(() =>
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 300 }), (text) => sha256Hex(text) === nodeSha256(text)),
      { numRuns: 500 },
    ),
  );
});

test("a project's number is the one it has always had", (t) => {
  // These numbers show in default service accounts and the metadata server: they must not change with the hash's implementation.
  const before = (project: string): string =>
    String(100_000_000_000n + (BigInt(`0x${nodeSha256(project).slice(0, 15)}`) % 900_000_000_000n));
  for (const project of ["default", "staging", "team-a", "p1"]) t.is(projectNumber(project), before(project));
  t.is(projectNumber("default"), "174020456071");
});
