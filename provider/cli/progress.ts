/**
 * The steps of a long command (Creating revision, Starting instance, Routing traffic, Done), on
 * stderr: with a spinner on a terminal, as plain lines otherwise, nothing for --format json.
 */
const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

export class Progress {
  private current: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private frame = 0;
  private readonly tty = process.stderr.isTTY === true;

  constructor(private readonly silent = false) {}

  step(text: string): void {
    if (this.silent) return;
    this.finishStep("✓");
    this.current = text;
    if (!this.tty) {
      process.stderr.write(`${text}...\n`);
      return;
    }
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
    if (this.tty && this.current !== undefined) process.stderr.write(`\r\x1b[2K${mark} ${this.current}\n`);
    this.current = undefined;
  }
}
