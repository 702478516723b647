/** The time the view renders with ("away for 2 min"), ticking once a second while started. */
export class Clock {
  now = $state(Date.now());
  private timer: ReturnType<typeof setInterval> | null = null;

  start(everyMs = 1_000): void {
    this.stop();
    this.timer = setInterval(() => (this.now = Date.now()), everyMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
