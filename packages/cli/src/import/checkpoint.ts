import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ENTITIES, type Entity } from './records.js';
import type { ImportSummary } from './summary.js';

/** A checkpoint that cannot be used: none to resume, or one written for other files or settings. */
export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
}

interface PhaseProgress {
  /** Every batch below this number is confirmed. */
  doneBelow: number;
  /** Confirmed batches at or above `doneBelow`. */
  doneAbove: number[];
  /** A subscription import task started and not yet seen to its end. */
  task?: { batch: number; taskId: string; created: number; existing: number };
}

interface CheckpointData {
  version: 1;
  /** Input files (path, size, mtime) and the settings that decide batch boundaries. */
  fingerprint: string;
  phases: Record<Entity, PhaseProgress>;
  summary: ImportSummary;
}

/** What makes batch numbers mean the same records: the files as they are, the batch limits, the target. */
export function fingerprintOf(files: string[], settings: unknown): string {
  const described = files.map((f) => {
    const s = statSync(f);
    return [resolve(f), s.size, Math.round(s.mtimeMs)];
  });
  return createHash('sha256')
    .update(JSON.stringify([described, settings]))
    .digest('hex');
}

/**
 * The record of confirmed batches, rewritten (temp file + rename) each time one is confirmed, so a kill at any
 * moment leaves a checkpoint that names only batches Stigg acknowledged.
 */
export class Checkpoint {
  private constructor(
    private readonly path: string | null,
    private readonly data: CheckpointData,
  ) {}

  /** No file: for dry runs and callers that do not want one. */
  static none(summary: ImportSummary): Checkpoint {
    return new Checkpoint(null, Checkpoint.empty('', summary));
  }

  private static empty(fingerprint: string, summary: ImportSummary): CheckpointData {
    const phases = Object.fromEntries(ENTITIES.map((e) => [e, { doneBelow: 0, doneAbove: [] }])) as unknown as Record<
      Entity,
      PhaseProgress
    >;
    return { version: 1, fingerprint, phases, summary };
  }

  static open(path: string, fingerprint: string, resume: boolean, summary: ImportSummary): Checkpoint {
    const exists = existsSync(path);
    if (!resume) {
      // A finished run removes its checkpoint: one that is here belongs to a run that did not finish.
      if (exists)
        throw new CheckpointError(
          `${path} holds an interrupted import: continue it with --resume, or delete the file to start over`,
        );
      const checkpoint = new Checkpoint(path, Checkpoint.empty(fingerprint, summary));
      checkpoint.save();
      return checkpoint;
    }
    if (!exists)
      throw new CheckpointError(
        `--resume: there is no checkpoint at ${path} (the last run finished, or none started here)`,
      );
    const data = Checkpoint.read(path);
    if (data.fingerprint !== fingerprint) {
      throw new CheckpointError(
        `--resume: ${path} was written for other input files or settings (a file changed since); delete it to start over`,
      );
    }
    return new Checkpoint(path, data);
  }

  private static read(path: string): CheckpointData {
    try {
      const data = JSON.parse(readFileSync(path, 'utf8')) as CheckpointData;
      if (data.version !== 1) throw new Error(`unknown version ${String(data.version)}`);
      return data;
    } catch (err) {
      throw new CheckpointError(`${path} is not a checkpoint of tollgate import (${(err as Error).message})`);
    }
  }

  get summary(): ImportSummary {
    return this.data.summary;
  }

  isDone(entity: Entity, batch: number): boolean {
    const p = this.data.phases[entity];
    return batch < p.doneBelow || p.doneAbove.includes(batch);
  }

  markDone(entity: Entity, batch: number): void {
    const p = this.data.phases[entity];
    p.doneAbove.push(batch);
    p.doneAbove.sort((a, b) => a - b);
    while (p.doneAbove[0] === p.doneBelow) {
      p.doneAbove.shift();
      p.doneBelow++;
    }
    if (p.task?.batch === batch) delete p.task;
    this.save();
  }

  pendingTask(entity: Entity, batch: number) {
    const task = this.data.phases[entity].task;
    return task?.batch === batch ? task : undefined;
  }

  startedTask(entity: Entity, task: NonNullable<PhaseProgress['task']>): void {
    this.data.phases[entity].task = task;
    this.save();
  }

  /** The run is over: nothing is left to resume, so the file goes. */
  finish(): void {
    if (this.path) rmSync(this.path, { force: true });
  }

  save(): void {
    if (!this.path) return;
    const tmp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.data));
    renameSync(tmp, this.path);
  }
}
