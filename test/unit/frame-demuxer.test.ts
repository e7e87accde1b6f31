import test from "ava";
import { demuxBuffer, FrameDemuxer } from "../../provider/base/frame-demuxer";

function frame(stream: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

/** Collects what each stream receives, as text. */
function demuxer() {
  const got = { stdout: "", stderr: "", ended: 0 };
  const sink = (name: "stdout" | "stderr") => ({
    push: (chunk: Buffer) => void (got[name] += chunk.toString()),
    end: () => void (got.ended += 1),
  });
  return { got, demux: new FrameDemuxer({ stdout: sink("stdout"), stderr: sink("stderr") }) };
}

const stream = Buffer.concat([frame(1, "out one\n"), frame(2, "err one\n"), frame(1, ""), frame(1, "out two\n"), frame(2, "err two\n")]);

test("frames go to their stream, whatever the chunk boundaries (headers cut anywhere included)", (t) => {
  for (let cut = 1; cut < stream.length; cut++) {
    for (const size of [1, 3, 7, 9]) {
      const { got, demux } = demuxer();
      demux.push(stream.subarray(0, cut));
      for (let at = cut; at < stream.length; at += size) demux.push(stream.subarray(at, Math.min(stream.length, at + size)));
      t.deepEqual([got.stdout, got.stderr], ["out one\nout two\n", "err one\nerr two\n"], `first cut ${cut}, then pieces of ${size}`);
    }
  }
});

test("a header cut across chunks is not disturbed by the chunk that held it being reused", (t) => {
  const { got, demux } = demuxer();
  const chunk = Buffer.from(stream.subarray(0, 19)); // the first frame (16 bytes) and 3 bytes of the next header
  demux.push(chunk);
  chunk.fill(0xff);
  demux.push(stream.subarray(19));
  t.deepEqual([got.stdout, got.stderr], ["out one\nout two\n", "err one\nerr two\n"]);
});

test("end() ends both streams; demuxBuffer reads a whole log, or plain text as it is", (t) => {
  const { got, demux } = demuxer();
  demux.end();
  t.is(got.ended, 2);
  t.is(demuxBuffer(stream), "out one\nerr one\nout two\nerr two\n");
  t.is(demuxBuffer(Buffer.from("plain")), "plain");
});
