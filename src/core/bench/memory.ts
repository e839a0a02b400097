// Peak resident memory of this process, sampled (process.memoryUsage is cheap) plus the OS high-water mark.
export class RssSampler {
  private timer: NodeJS.Timeout | null = null
  private peak = 0

  start(intervalMs = 50): void {
    this.sample()
    this.timer = setInterval(() => this.sample(), intervalMs)
    this.timer.unref()
  }

  sample(): void {
    const rss = process.memoryUsage.rss()
    if (rss > this.peak) this.peak = rss
  }

  /** Peak since the last reset, in MiB; resets the window. */
  takePeakMiB(): number {
    this.sample()
    const p = this.peak
    this.peak = 0
    return Math.round((p / 1048576) * 10) / 10
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
  }
}

/** The kernel's high-water mark of resident memory for the whole process, MiB. */
export function maxRssMiB(): number {
  return Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10
}
