/**
 * @module
 * Free TCP ports on the loopback address, found by letting the kernel pick one and releasing it at once.
 * Another process could take the port in between; the window is small and start-up failures name the port.
 */
import { createServer } from 'node:net';

export async function freeLoopbackPort(): Promise<number> {
  return await new Promise<number>((ok, fail) => {
    const server = createServer();
    server.unref();
    server.on('error', fail);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? ok(port) : fail(new Error('the kernel gave no port on 127.0.0.1'))));
    });
  });
}

/** Several distinct free ports (held open together so the kernel cannot hand out one twice). */
export async function freeLoopbackPorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => {
      const server = createServer();
      server.unref();
      return new Promise<ReturnType<typeof createServer>>((ok, fail) => {
        server.on('error', fail);
        server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => ok(server));
      });
    }),
  );
  const ports = servers.map((s) => {
    const address = s.address();
    return typeof address === 'object' && address ? address.port : 0;
  });
  await Promise.all(servers.map((s) => new Promise<void>((ok) => s.close(() => ok()))));
  return ports;
}
