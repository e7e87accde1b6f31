/**
 * The steps of a long command (Creating revision, Starting instance, Routing traffic, Done), on
 * stderr: with a spinner on a terminal; otherwise one plain line per step once it is done (so a
 * command refused at once prints its one error line and nothing else); nothing for --format json.
 */
const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

export class Progress {
  private current: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private frame = 0;
  private readonly tty = process.stderr.isTTY === true;

  constructor(readonly silent = false) {}

  /** A line of output under the current step (a build's), kept above the spinner. */
  line(text: string): void {
    if (this.silent) return;
    if (this.tty) process.stderr.write(`\r\x1b[2K  ${text}\n`);
    else process.stderr.write(`  ${text}\n`);
    if (this.tty && this.current !== undefined) this.draw();
  }

  step(text: string): void {
    if (this.silent) return;
    this.finishStep("✓");
    this.current = text;
    if (!this.tty) return;
    this.draw();
    this.timer = setInterval(() => this.draw(), 80);
    this.timer.unref();
  }

  done(text: string): void {
    if (this.silent) return;
    this.finishStep("✓");
    process.stderr.write(`${text}\n`);
  }

  fail(): void {
    if (this.silent) return;
    this.finishStep("✗");
  }

  private draw(): void {
    process.stderr.write(`\r\x1b[2K${FRAMES[this.frame++ % FRAMES.length]} ${this.current}...`);
  }

  private finishStep(mark: string): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.current !== undefined) {
      if (this.tty) process.stderr.write(`\r\x1b[2K${mark} ${this.current}\n`);
      else process.stderr.write(`${this.current}: ${mark === "✓" ? "done" : "failed"}\n`);
    }
    this.current = undefined;
  }
}
