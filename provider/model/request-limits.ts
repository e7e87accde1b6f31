/**
 * Limits of the admin API that its clients hold to as well: the engine refuses a request body
 * over MAX_REQUEST_BODY_BYTES (it reads no further), so the CLI refuses a file that could only
 * make one before reading the file whole.
 */
export const MAX_REQUEST_BODY_BYTES = 1024 * 1024;
