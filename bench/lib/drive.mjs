// Thread: main (bench). Pipelined request driver: keeps up to `inflight` requests outstanding on
// each connection, asking `next(connectionIndex)` for the next job ({ tpl, ... } from
// KafkaClient.encode, or null to stop that connection) and handing each response to
// `onResponse(job, result, connectionIndex)`. Bounded: stops asking for work at `untilMs`
// (performance.now() time) and gives up waiting for responses `drainTimeoutMs` later.

export function drive({ clients, inflight, next, onResponse, untilMs = Infinity, drainTimeoutMs = 30000 }) {
  return new Promise((resolve) => {
    const state = clients.map(() => ({ inflight: 0, done: false }));
    const errors = [];
    let finished = false;
    let timer;
    const finish = (timedOut) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      resolve({ errors, timedOut, outstanding: state.reduce((s, c) => s + c.inflight, 0) });
    };
    const checkDone = () => {
      if (state.every((c) => c.done && c.inflight === 0)) finish(false);
    };
    const pump = (ci) => {
      const c = state[ci];
      while (!c.done && c.inflight < inflight) {
        if (errors.length > 0 || performance.now() >= untilMs) {
          c.done = true;
          break;
        }
        const job = next(ci);
        if (job === null) {
          c.done = true;
          break;
        }
        c.inflight++;
        clients[ci].sendEncoded(job.tpl).then(
          (result) => {
            c.inflight--;
            try {
              onResponse(job, result, ci);
            } catch (err) {
              errors.push(err.message);
            }
            pump(ci);
            checkDone();
          },
          (err) => {
            c.inflight--;
            errors.push(err.message);
            c.done = true;
            checkDone();
          },
        );
      }
      checkDone();
    };
    const hardStop = Number.isFinite(untilMs) ? untilMs - performance.now() + drainTimeoutMs : 10 * 60 * 1000;
    timer = setTimeout(() => finish(true), Math.max(0, hardStop));
    for (let i = 0; i < clients.length; i++) pump(i);
  });
}
