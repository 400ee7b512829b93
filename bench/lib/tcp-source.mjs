// Thread: main (bench child process). Connects to 127.0.0.1:<port> and writes 1 MiB buffers as
// fast as the socket drains for <durationMs> or until <maxBytes> are sent, then closes.
// Started by limits.mjs to measure loopback TCP throughput between two Node processes.
import net from 'node:net';

const [port, durationMs, maxBytes, chunkBytes] = process.argv.slice(2).map(Number);
const chunk = Buffer.alloc(chunkBytes || 1024 * 1024, 0x5a);
const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
let sent = 0;
socket.on('connect', () => {
  const deadline = performance.now() + durationMs;
  const pump = () => {
    while (sent < maxBytes && performance.now() < deadline) {
      sent += chunk.length;
      if (!socket.write(chunk)) {
        socket.once('drain', pump);
        return;
      }
    }
    socket.end();
  };
  pump();
});
socket.on('error', (err) => {
  process.stderr.write(`tcp-source: ${err.message}\n`);
  process.exit(1);
});
socket.on('close', () => process.exit(0));
