/** A benchmark: measures things side by side in one run and reports rows with their ratios. */
export interface Benchmark {
  name: string;
  description: string;
  run(report: Reporter): Promise<void>;
}

export interface Reporter {
  /** A free-text line under the benchmark's heading. */
  note(line: string): void;
  /** A table of measurements; `ratio` rows compare two of them. */
  table(rows: Record<string, string | number>[]): void;
}
