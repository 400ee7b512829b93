// Thread: vitest test worker. Object storage down for real: freezes the S3 server of a test
// target and thaws it again. For radosgw (start-radosgw.sh) the radosgw process — its PID from
// the target dir's rgw.pid, nothing else — gets SIGSTOP, then SIGCONT: connections are still
// accepted by the kernel but nothing answers, as with a hung server or a partitioned network.
// For the in-memory fake the server hangs requests ('hang' mode). A target given by
// AWS_ENDPOINT_URL_S3 cannot be paused (undefined: the caller skips).
//
// Always resume in a `finally`. If the test worker exits while paused, the exit hook resumes it
// (stop-radosgw.sh would also end a stopped radosgw: it escalates to SIGKILL).
import fs from 'node:fs';
import path from 'node:path';
import type { S3Target } from './s3-target.js';

export interface S3Pause {
  /** PIDs stopped (empty for the fake server). */
  readonly pids: number[];
  /** When the server was paused (Date.now()). */
  readonly pausedAtMs: number;
  /** Thaws the server; safe to call more than once. */
  resume(): void;
}

/** Whether pauseS3Server can pause this target. */
export function canPauseS3(target: S3Target): boolean {
  return target.kind === 'fake' || (target.kind === 'radosgw' && target.dir !== undefined);
}

/** Pauses the target's S3 server until resume(). */
export function pauseS3Server(target: S3Target): S3Pause {
  if (target.kind === 'fake' && target.fake) {
    const fake = target.fake;
    fake.setMode('hang');
    let resumed = false;
    return {
      pids: [],
      pausedAtMs: Date.now(),
      resume() {
        if (resumed) return;
        resumed = true;
        fake.setMode('ok');
      },
    };
  }
  if (target.kind !== 'radosgw' || target.dir === undefined) throw new Error(`cannot pause an S3 target of kind ${target.kind}`);
  const pid = Number(fs.readFileSync(path.join(target.dir, 'rgw.pid'), 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`no radosgw PID in ${target.dir}/rgw.pid`);
  let resumed = false;
  const resume = () => {
    if (resumed) return;
    resumed = true;
    process.off('exit', resume);
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      // already gone
    }
  };
  process.once('exit', resume);
  process.kill(pid, 'SIGSTOP');
  return { pids: [pid], pausedAtMs: Date.now(), resume };
}
