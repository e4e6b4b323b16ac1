/**
 * Pausing a server process, for fault injection: `SIGSTOP` freezes it (its sockets stay open
 * and silent, as a hung or partitioned server's do), `SIGCONT` lets it go on. Unlike a restart,
 * nothing is lost on the server; clients only see it stop answering.
 */
import type { ChildProcess } from 'node:child_process';

function pidOf(p: ChildProcess | number): number {
  const pid = typeof p === 'number' ? p : p.pid;
  if (pid === undefined) throw new Error('pause/resume: the process has no pid (not started, or already gone)');
  return pid;
}

/** Freezes the process (`SIGSTOP`). */
export function pauseProcess(p: ChildProcess | number): void {
  process.kill(pidOf(p), 'SIGSTOP');
}

/** Lets a paused process go on (`SIGCONT`). */
export function resumeProcess(p: ChildProcess | number): void {
  process.kill(pidOf(p), 'SIGCONT');
}
