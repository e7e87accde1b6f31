/**
 * Limits of the admin API that its clients hold to as well: the engine refuses a request body
 * over MAX_REQUEST_BODY_BYTES (it reads no further), so the CLI refuses a file that could only
 * make one before reading the file whole.
 */
export const MAX_REQUEST_BODY_BYTES = 1024 * 1024;

/**
 * Cloud Run's limit on a request to a service whose container speaks HTTP/1 (not HTTP/2 end to
 * end): a body over 32 MiB is answered 413 and never reaches the container.
 */
export const HTTP1_REQUEST_BODY_LIMIT_BYTES = 32 * 1024 * 1024;

/**
 * Cloud Run's limit on a response from a container that speaks HTTP/1 with a length: one whose
 * Content-Length is over 32 MiB fails with 500 ("Response size was too large"); a response sent in
 * chunks (streamed) has no limit.
 */
export const HTTP1_RESPONSE_LENGTH_LIMIT_BYTES = 32 * 1024 * 1024;
