import { createServer } from 'node:net';

/** A currently free TCP port on 127.0.0.1, chosen by the OS (bind port 0, read it, release it). */
export function freePort(): Promise<number> {
	return new Promise((resolvePort, reject) => {
		const server = createServer();
		server.unref();
		server.once('error', reject);
		server.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
			const address = server.address();
			const port = typeof address === 'object' && address ? address.port : 0;
			server.close(() => (port ? resolvePort(port) : reject(new Error('could not get a free port'))));
		});
	});
}

/** `count` distinct free ports (held open together so the OS cannot hand out the same one twice). */
export async function freePorts(count: number): Promise<number[]> {
	const servers = await Promise.all(
		Array.from(
			{ length: count },
			() =>
				new Promise<import('node:net').Server>((res, rej) => {
					const s = createServer();
					s.unref();
					s.once('error', rej);
					s.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => res(s));
				}),
		),
	);
	const ports = servers.map((s) => {
		const a = s.address();
		return typeof a === 'object' && a ? a.port : 0;
	});
	await Promise.all(servers.map((s) => new Promise<void>((res) => s.close(() => res()))));
	if (ports.some((p) => !p)) throw new Error('could not get free ports');
	return ports;
}
