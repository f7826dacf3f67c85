/**
 * A one-line progress bar for long CLI steps. Draws only on a terminal; elsewhere (CI, pipes)
 * it stays quiet so logs hold just the final summary.
 */
export class Progress {
  private readonly started = performance.now();
  private done = 0;
  private readonly enabled: boolean;

  /** `quiet` forces silence even on a terminal (e.g. when a library caller wants no output). */
  constructor(
    private readonly total: number,
    { quiet = false, stream = process.stderr }: { quiet?: boolean; stream?: NodeJS.WriteStream } = {},
  ) {
    this.stream = stream;
    this.enabled = !quiet && Boolean(stream.isTTY);
  }

  private readonly stream: NodeJS.WriteStream;

  /** Mark the start of a step (drawn as the current label). */
  step(label: string): void {
    this.draw(label);
  }

  /** Mark one unit done. */
  tick(label = ''): void {
    this.done = Math.min(this.total, this.done + 1);
    this.draw(label);
  }

  /** Advance to an absolute count (for byte- or item-based progress). */
  update(done: number, label = ''): void {
    this.done = Math.min(this.total, done);
    this.draw(label);
  }

  finish(): void {
    if (this.enabled) this.stream.write('\r\x1b[2K');
  }

  private draw(label: string): void {
    if (!this.enabled) return;
    const width = 28;
    const filled = Math.round((width * this.done) / Math.max(1, this.total));
    const secs = ((performance.now() - this.started) / 1000).toFixed(1);
    this.stream.write(`\r\x1b[2K[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${this.done}/${this.total} ${label} ${secs}s`);
  }
}
