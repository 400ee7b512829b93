// Thread: either (bench). Record value layout of the latency bench, shared by producer and consumer:
// [0,8) scheduled send time, [8,16) actual send time (both float64 ms of process.hrtime, which
// every thread of the process shares) | [16,20) tick number | padding to --record-bytes.
export const VALUE_HEADER = 20;
