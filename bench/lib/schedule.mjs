// Thread: worker (bench). The absolute send schedule that every latency producer shares (Strata's
// in lib/latency-producer.mjs, the peers' in peers/latency-producer.mjs), so that all systems are
// measured by exactly the same method. Tick k is due at T0 + k·tickMs (process.hrtime, the
// same clock in every thread and process); a late thread sends the overdue ticks at once, so a
// stall shows up as latency measured from the scheduled time rather than as a lower rate.
// Between ticks it sleeps with setTimeout until < 2 ms remain, then with Atomics.wait (no
// busy loop); at most 64 ticks per event-loop turn so acknowledgements are still read when the
// thread falls behind.

const sleeper = new Int32Array(new SharedArrayBuffer(4));
export const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

/**
 * Calls send(k) for k = 0 … totalTicks−1, each at or after T0 + k·tickMs. shouldStop(k), asked
 * before every send, ends the schedule early when it returns true. done() is called once, after
 * the last send (or the stop).
 */
export function runSchedule({ T0, tickMs, totalTicks, send, shouldStop = () => false, done }) {
  let k = 0;
  const loop = () => {
    let burst = 0;
    while (k < totalTicks && T0 + k * tickMs <= nowMs() && burst++ < 64) {
      if (shouldStop(k)) {
        k = totalTicks;
        break;
      }
      send(k++);
    }
    if (k >= totalTicks) {
      done();
      return;
    }
    const wait = T0 + k * tickMs - nowMs();
    if (wait <= 0) setImmediate(loop);
    else if (wait > 2) setTimeout(loop, wait - 1.5);
    else {
      Atomics.wait(sleeper, 0, 0, wait);
      setImmediate(loop);
    }
  };
  loop();
}
