// Thread: main (bench). Produce requests (pre-encoded, acks=1) on an absolute 1 ms schedule:
// `requestsPerSec` until `totalRequests` were sent, request k being tpls[k mod tpls.length].
// setInterval, not a blocking wait: the consumers being measured share this thread. Bounded:
// stops at 20,000 requests in flight (the broker cannot keep up) and waits at most 10 s for the
// last answers. Resolves { requests, acked, ackedByPartition, failures, seconds }.
export function scheduledProducer({ client, tpls, partitions, requestsPerSec, totalRequests }) {
  const ackedByPartition = new Array(partitions).fill(0);
  const failures = [];
  let requests = 0;
  let acked = 0;
  let inflight = 0;
  return new Promise((resolve) => {
    const T0 = performance.now();
    const finish = () => {
      clearInterval(timer);
      const drainUntil = performance.now() + 10_000;
      const wait = () => {
        if (inflight === 0 || performance.now() > drainUntil) {
          if (inflight > 0) failures.push(`${inflight} produce request(s) unanswered 10 s after the last send`);
          resolve({ requests, acked, ackedByPartition, failures, seconds: (performance.now() - T0) / 1000 });
        } else setTimeout(wait, 5);
      };
      wait();
    };
    const tick = () => {
      const due = Math.min(totalRequests, Math.floor(((performance.now() - T0) / 1000) * requestsPerSec));
      while (requests < due && failures.length === 0) {
        if (inflight >= 20_000) {
          failures.push('more than 20,000 produce requests in flight: the broker cannot keep up with the rate');
          break;
        }
        const tpl = tpls[requests % tpls.length];
        requests++;
        inflight++;
        client.sendEncoded(tpl).then(
          ({ response }) => {
            inflight--;
            for (const pr of response.responses[0].partitionResponses) {
              if (pr.errorCode !== 0) {
                if (failures.length < 5) failures.push(`produce partition ${pr.index}: error ${pr.errorCode}`);
                continue;
              }
              acked++;
              ackedByPartition[pr.index]++;
            }
          },
          (err) => {
            inflight--;
            if (failures.length < 5) failures.push(`produce: ${err.message}`);
          },
        );
      }
      if (requests >= totalRequests || failures.length > 0) finish();
    };
    const timer = setInterval(tick, 1);
  });
}
