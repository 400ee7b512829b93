// Thread: main (bench child process). The smallest possible "broker": a single-threaded Node
// TCP relay. The first connection that sends the byte 'C' becomes the consumer and gets the
// byte 'K' back; every byte any other connection sends is then written to it unchanged. Started by limits.mjs to measure the
// end-to-end latency floor of one Node process hop on this machine (no parsing, no disk, no
// worker thread). Exits when the consumer disconnects. Usage: node relay-server.mjs (prints port)
import net from 'node:net';

let consumer = null;
const server = net.createServer((sock) => {
  sock.setNoDelay(true);
  sock.once('data', (first) => {
    if (consumer === null && first[0] === 0x43 && first.length === 1) {
      consumer = sock;
      sock.on('close', () => process.exit(0));
      sock.write('K'); // registered: producers may connect now
      return;
    }
    consumer?.write(first);
    sock.on('data', (chunk) => consumer?.write(chunk));
  });
  sock.on('error', () => undefined);
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
