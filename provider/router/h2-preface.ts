/**
 * HTTP/2 with prior knowledge (RFC 9113 §3.3): a client that knows the server speaks HTTP/2 opens
 * its connection with these 24 bytes, which no HTTP/1.1 request can begin with (`PRI` is no
 * method llhttp passes). The ingress reads them on a connection's first bytes only, so an
 * HTTP/1.1 connection pays one byte comparison for HTTP/2 and nothing after its first read.
 */
export const H2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

/**
 * What a connection's first bytes say: `h2` (the whole preface), `partial` (a beginning of it:
 * read more before deciding) or `http1` (anything else).
 */
export function prefaceMatch(bytes: Buffer): "h2" | "partial" | "http1" {
  // The common case, an HTTP/1.1 method, is decided on the first byte.
  if (bytes.length === 0) return "partial";
  if (bytes[0] !== 0x50 /* "P" */) return "http1";
  const length = Math.min(bytes.length, H2_PREFACE.length);
  if (bytes.compare(H2_PREFACE, 0, length, 0, length) !== 0) return "http1";
  return length === H2_PREFACE.length ? "h2" : "partial";
}
