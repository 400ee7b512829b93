// Thread: worker. Which sealed segments retention deletes (Kafka UnifiedLog semantics), pure:
//   1. retention.ms: the oldest segments whose largest timestamp is older than retention.ms
//      (now - largestTimestamp > retention.ms), stopping at the first one that is not;
//   2. retention.bytes: then, oldest first, while (size - segment.size >= retention.bytes),
//      where size is the whole partition's size (active segment included) after step 1.
// The active segment is never a candidate: callers pass sealed segments only.

export interface RetentionCandidate {
  size: number;
  /** Lazily computed: only read for segments the time rule reaches. */
  largestTimestamp: () => number;
}

export interface RetentionSettings {
  retentionMs: number;
  retentionBytes: number;
}

/** Number of leading (oldest) sealed segments to delete. */
export function segmentsToDelete(sealed: RetentionCandidate[], totalSize: number, settings: RetentionSettings, nowMs: number): number {
  let count = 0;
  let size = totalSize;
  if (settings.retentionMs >= 0) {
    while (count < sealed.length && nowMs - sealed[count].largestTimestamp() > settings.retentionMs) {
      size -= sealed[count].size;
      count++;
    }
  }
  if (settings.retentionBytes >= 0) {
    let diff = size - settings.retentionBytes;
    while (count < sealed.length && diff - sealed[count].size >= 0) {
      diff -= sealed[count].size;
      count++;
    }
  }
  return count;
}
