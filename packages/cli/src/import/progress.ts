import type { Entity } from './records.js';

/** What the engine tells about its progress. */
export type ImportEvent =
  | { type: 'phase'; phase: 'validate' | 'lookup' | Entity; total: number }
  | { type: 'progress'; phase: 'validate' | Entity; done: number; total: number }
  | { type: 'retry'; phase: Entity; reason: string; delayMs: number }
  | { type: 'record-failed'; entity: Entity; file: string; index: number; key: string; code: string; reason: string }
  | { type: 'phase-done'; phase: 'validate' | Entity; done: number };

const n = (v: number) => v.toLocaleString('en-US');

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * Renders progress: on a terminal, one bar redrawn in place (counts, rate, ETA); elsewhere (CI, a pipe, a log
 * file) a plain line every `plainEveryMs` and when a phase ends.
 */
export class ProgressView {
  private phaseStart = 0;
  private lastDraw = 0;
  private drawn = false;

  constructor(
    private readonly write: (text: string) => void,
    private readonly tty: boolean,
    private readonly plainEveryMs = 5_000,
  ) {}

  handle(event: ImportEvent): void {
    const now = Date.now();
    switch (event.type) {
      case 'phase':
        this.clear();
        this.phaseStart = now;
        this.lastDraw = now;
        if (event.phase === 'lookup')
          this.write(`checking ${n(event.total)} customers not in the customers files against Stigg\n`);
        else
          this.write(
            `${event.phase === 'validate' ? 'validating' : `importing ${event.phase}`}${event.total ? ` (${n(event.total)} records)` : ''}\n`,
          );
        break;
      case 'progress':
        if (this.tty ? now - this.lastDraw >= 100 : now - this.lastDraw >= this.plainEveryMs) {
          this.lastDraw = now;
          this.draw(event.phase, event.done, event.total, now);
        }
        break;
      case 'retry':
        if (!this.tty) this.write(`${event.phase}: ${event.reason}; retrying in ${Math.round(event.delayMs)} ms\n`);
        break;
      case 'phase-done':
        this.clear();
        this.write(`${event.phase}: ${n(event.done)} done in ${duration(now - this.phaseStart)}\n`);
        break;
      case 'record-failed':
        break;
    }
  }

  private draw(phase: string, done: number, total: number, now: number): void {
    const elapsed = Math.max(1, now - this.phaseStart);
    const rate = (done / elapsed) * 1000;
    const eta = rate > 0 && total > done ? duration(((total - done) / rate) * 1000) : '--';
    const share = total > 0 ? Math.min(1, done / total) : 0;
    // Validation reads the files for the first time: it has a count, not yet a total.
    const figures =
      total > 0
        ? `${n(done)}/${n(total)} ${Math.floor(share * 100)}%  ${n(Math.round(rate))}/s  ETA ${eta}`
        : `${n(done)} records  ${n(Math.round(rate))}/s`;
    if (this.tty && total === 0) {
      this.write(`\r\x1b[2K${phase.padEnd(13)} ${figures}`);
      this.drawn = true;
    } else if (this.tty) {
      const width = 30;
      const filled = Math.round(share * width);
      this.write(`\r\x1b[2K${phase.padEnd(13)} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${figures}`);
      this.drawn = true;
    } else this.write(`${phase}: ${figures}\n`);
  }

  /** Ends a bar drawn in place, so the next line starts clean. */
  clear(): void {
    if (this.drawn) this.write('\r\x1b[2K');
    this.drawn = false;
  }
}
