import test from "ava";
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { rotatingEngineLog, stdoutIsFile } from "../../provider/base/engine-log";

// engine.log is capped like the services' logs: it and engine.log.1 hold at most the cap.

test("engine.log becomes engine.log.1 before a line would take it past half the cap; nothing is lost but what rotated out twice", (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), "skiff-engine-log-"));
  const file = path.join(dir, "engine.log");
  const write = rotatingEngineLog(file, 1000);
  for (let i = 0; i < 100; i++) write(`line ${String(i).padStart(3, "0")} ${"x".repeat(20)}\n`);
  const current = readFileSync(file, "utf8");
  const rotated = readFileSync(`${file}.1`, "utf8");
  t.true(statSync(file).size <= 500 && statSync(`${file}.1`).size <= 500);
  t.true(current.endsWith(`line 099 ${"x".repeat(20)}\n`));
  // The two files hold the newest lines, in order, without a gap between them.
  const numbers = (rotated + current)
    .trim()
    .split("\n")
    .map((l) => Number(l.split(" ")[1]));
  t.deepEqual(
    numbers,
    Array.from({ length: numbers.length }, (_, i) => 100 - numbers.length + i),
  );
  t.true(numbers.length >= 16, `${numbers.length} lines kept: at least a half cap's worth`);
});

test("stdout is engine.log only when it is that very file", (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), "skiff-engine-log-"));
  t.false(stdoutIsFile(path.join(dir, "missing.log")));
});
