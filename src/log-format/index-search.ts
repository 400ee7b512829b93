// Thread: either. Pure. The one binary search both sparse indexes use: the last entry whose key
// is <= target (strict: < target) among `entries` sorted entries, or -1 when none is.
export function largestLowerBound(entries: number, target: number, keyAt: (i: number) => number, strict = false): number {
  let lo = 0;
  let hi = entries - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const key = keyAt(mid);
    if (strict ? key < target : key <= target) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}
