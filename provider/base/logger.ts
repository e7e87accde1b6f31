/** An injectable logger: the daemon writes lines to engine.log; tests pass one that records. */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export function lineLogger(write: (line: string) => void = (l) => process.stdout.write(l)): Logger {
  const emit = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    const extra = fields && Object.keys(fields).length ? " " + JSON.stringify(fields) : "";
    write(`${new Date().toISOString()} ${level} ${message}${extra}\n`);
  };
  return { info: emit("info"), warn: emit("warn"), error: emit("error") };
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
