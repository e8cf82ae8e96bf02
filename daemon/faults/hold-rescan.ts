// Runs the re-scan of held targets on an interval, and only while some fault holds a target: an idle agent pays nothing.
//
// Why a poll: a process that joins a frozen container (a `runc exec` health check joins its cgroup from outside;
// a fork races the stop) announces itself nowhere reliable on cgroup v1 (no cgroup.events there; inotify on
// cgroup.procs does not fire on membership changes). Reading cgroup.procs is cheap (docs/benchmarks.md, hold-rescan).

export class HoldRescanTimer {
  private timer: NodeJS.Timeout | null = null;

  /** `intervalMs` 0 turns the re-scan off. */
  constructor(
    private readonly intervalMs: number,
    private readonly tick: () => void,
  ) {}

  /** Runs the re-scan while `holding` is true; stops it when it turns false. */
  set(holding: boolean): void {
    if (holding && this.timer === null && this.intervalMs > 0) {
      this.timer = setInterval(this.tick, this.intervalMs);
      // The re-scan alone keeps no process alive (tests build a manager without a server).
      this.timer.unref();
    } else if (!holding && this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  get running(): boolean {
    return this.timer !== null;
  }
}
