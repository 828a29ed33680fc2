/**
 * Pieces of `npm run bench` (scripts/bench.ts): CPU and memory of n8n's process groups from /proc, an open-loop
 * sender of signed WhatsApp deliveries, percentiles, and bounded waits that give up on Ctrl-C.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';

// ------------------------------------------------------------------------------------------ interruption

/** Set by Ctrl-C / SIGTERM (scripts/bench.ts): every wait here stops at once and throws Interrupted. */
export const interruption = new AbortController();

export class Interrupted extends Error {
	constructor() {
		super('interrupted');
	}
}

export function checkInterrupted(): void {
	if (interruption.signal.aborted) throw new Interrupted();
}

/** Sleeps `ms`, or less when interrupted (then throws Interrupted). */
export async function sleep(ms: number): Promise<void> {
	checkInterrupted();
	await new Promise<void>((resolve) => {
		const timer = setTimeout(done, Math.max(0, ms));
		function done() {
			clearTimeout(timer);
			interruption.signal.removeEventListener('abort', done);
			resolve();
		}
		interruption.signal.addEventListener('abort', done, { once: true });
	});
	checkInterrupted();
}

/** Polls `probe` every `everyMs` until it returns something other than undefined/false, at most `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs: number, everyMs = 250): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = await probe();
		if (value !== undefined && value !== false) return value;
		if (Date.now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
		await sleep(everyMs);
	}
}

/** Wall-clock milliseconds with sub-millisecond resolution (comparable with Date.now()). */
export const wallNow = (): number => performance.timeOrigin + performance.now();

// ------------------------------------------------------------------------------------------ /proc

function getconf(name: string, fallback: number): number {
	try {
		const value = Number(execFileSync('getconf', [name], { encoding: 'utf8', timeout: 5_000 }).trim());
		return Number.isFinite(value) && value > 0 ? value : fallback;
	} catch {
		return fallback;
	}
}

let ticksPerSecond: number | undefined;
let pageSize: number | undefined;

export interface GroupSample {
	/** CPU seconds used so far (user + system) by every live process of the groups. */
	cpuSeconds: number;
	/** Resident memory of every process of the groups, bytes. */
	rssBytes: number;
	processes: number;
}

/**
 * CPU time and resident memory of every process whose process group is one of `pgids` (n8n, its task runner and the
 * harness's guardian: startN8n runs each n8n in a group of its own), from /proc/<pid>/stat.
 */
export function sampleGroups(pgids: Array<number | undefined>): GroupSample {
	ticksPerSecond ??= getconf('CLK_TCK', 100);
	pageSize ??= getconf('PAGESIZE', 4096);
	const groups = new Set(pgids.filter((p): p is number => p !== undefined));
	let ticks = 0;
	let pages = 0;
	let processes = 0;
	if (groups.size === 0) return { cpuSeconds: 0, rssBytes: 0, processes: 0 };
	for (const entry of readdirSync('/proc')) {
		if (!/^\d+$/.test(entry)) continue;
		try {
			const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
			// fields after "(comm) ": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
			// cutime cstime priority nice threads itrealvalue starttime vsize rss
			const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
			if (!groups.has(Number(fields[2]))) continue;
			ticks += Number(fields[11]) + Number(fields[12]);
			pages += Number(fields[21]);
			processes++;
		} catch {
			// the process ended while reading
		}
	}
	return { cpuSeconds: ticks / ticksPerSecond, rssBytes: pages * pageSize, processes };
}

/**
 * Samples the groups every `everyMs` in the background: the peak RSS, and CPU over the last few seconds (to tell
 * when n8n has gone idle).
 */
export class GroupMonitor {
	peakRssBytes = 0;
	readonly startRssBytes: number;
	private readonly timer: NodeJS.Timeout;
	private readonly recent: Array<{ at: number; cpu: number }> = [];

	constructor(
		private readonly pgids: () => Array<number | undefined>,
		everyMs = 500,
	) {
		const first = sampleGroups(pgids());
		this.startRssBytes = first.rssBytes;
		this.take(first);
		this.timer = setInterval(() => this.take(sampleGroups(this.pgids())), everyMs);
		this.timer.unref();
	}

	private take(sample: GroupSample) {
		this.peakRssBytes = Math.max(this.peakRssBytes, sample.rssBytes);
		const now = Date.now();
		this.recent.push({ at: now, cpu: sample.cpuSeconds });
		while (this.recent.length > 2 && this.recent[0].at < now - 15_000) this.recent.shift();
	}

	/** Share of one core n8n used over (about) the last `seconds`, or undefined without enough samples. */
	recentCpuShare(seconds = 5): number | undefined {
		const last = this.recent[this.recent.length - 1];
		const first = this.recent.find((s) => s.at >= last.at - seconds * 1000);
		if (!first || last.at - first.at < (seconds * 1000) / 2) return undefined;
		return (last.cpu - first.cpu) / ((last.at - first.at) / 1000);
	}

	stop(): void {
		clearInterval(this.timer);
		this.take(sampleGroups(this.pgids()));
	}
}

// ------------------------------------------------------------------------------------------ HTTP

export interface PostResult {
	/** HTTP status, 0 when there was none (see `error`). */
	status: number;
	/** 'timeout': no full answer within the ack timeout; otherwise the socket error (ECONNRESET, ECONNREFUSED…). */
	error?: string;
	/** When the answer (or the error) came, wall-clock ms. */
	at: number;
}

/**
 * POSTs like Meta does: many connections at once (no per-host cap), keep-alive, and a deadline for the whole answer.
 * A request that fails on a reused keep-alive socket before any answer (the server had just closed it) is sent once
 * more on a new one, as any HTTP client does; everything else is reported as it happened.
 */
export class Poster {
	private agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 512 });
	private readonly inFlight = new Set<http.ClientRequest>();

	constructor(private readonly timeoutMs: number) {}

	post(url: string, body: Buffer, headers: Record<string, string>): Promise<PostResult> {
		return this.once(url, body, headers, true);
	}

	private once(url: string, body: Buffer, headers: Record<string, string>, mayRetry: boolean): Promise<PostResult> {
		return new Promise<PostResult>((resolve) => {
			let settled = false;
			const finish = (result: Omit<PostResult, 'at'>) => {
				if (settled) return;
				settled = true;
				clearTimeout(timer);
				this.inFlight.delete(req);
				resolve({ ...result, at: wallNow() });
			};
			const req = http.request(url, {
				method: 'POST',
				agent: this.agent,
				headers: { 'content-type': 'application/json', 'content-length': String(body.length), ...headers },
			});
			this.inFlight.add(req);
			const timer = setTimeout(() => {
				finish({ status: 0, error: 'timeout' });
				req.destroy();
			}, this.timeoutMs);
			req.on('response', (res) => {
				res.resume();
				res.on('end', () => finish({ status: res.statusCode ?? 0 }));
				res.on('error', (error) => finish({ status: 0, error: (error as NodeJS.ErrnoException).code ?? error.message }));
			});
			req.on('error', (error: NodeJS.ErrnoException) => {
				if (settled) return;
				if (mayRetry && req.reusedSocket && (error.code === 'ECONNRESET' || error.message === 'socket hang up')) {
					settled = true;
					clearTimeout(timer);
					this.inFlight.delete(req);
					void this.once(url, body, headers, false).then(resolve);
					return;
				}
				finish({ status: 0, error: error.code ?? error.message });
			});
			req.end(body);
		});
	}

	/** Aborts whatever is in flight and closes every socket. */
	close(): void {
		for (const req of this.inFlight) req.destroy();
		this.inFlight.clear();
		this.agent.destroy();
		this.agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 512 });
	}
}

// ------------------------------------------------------------------------------------------ open loop

export interface Sent<T> {
	index: number;
	/** When it was due, wall-clock ms (the latency clock starts here, not when the event loop got round to it). */
	dueAt: number;
	meta: T;
	result?: PostResult;
}

/**
 * Open-loop arrivals: message i is due at start + i/rate, whatever happened to the earlier ones (a slow answer
 * never delays the next message, unlike a closed loop of N clients). `send(i)` builds and POSTs message i.
 * Resolves once every message has been sent and answered (or timed out).
 */
export async function openLoop<T>(
	rate: number,
	seconds: number,
	send: (index: number) => { meta: T; promise: Promise<PostResult> },
): Promise<{ sent: Array<Sent<T>>; startedAt: number; endedAt: number }> {
	const total = Math.max(1, Math.round(rate * seconds));
	const startedAt = wallNow() + 20;
	const sent: Array<Sent<T>> = [];
	const pending: Array<Promise<void>> = [];
	let next = 0;
	while (next < total) {
		checkInterrupted();
		const now = wallNow();
		while (next < total && startedAt + (next * 1000) / rate <= now) {
			const index = next++;
			const record: Sent<T> = { index, dueAt: startedAt + (index * 1000) / rate, meta: undefined as T };
			const { meta, promise } = send(index);
			record.meta = meta;
			sent.push(record);
			pending.push(promise.then((result) => void (record.result = result)));
		}
		if (next < total) await sleep(Math.min(5, startedAt + (next * 1000) / rate - wallNow()));
	}
	const endedAt = wallNow();
	await Promise.race([
		Promise.all(pending),
		new Promise<void>((resolve) => interruption.signal.addEventListener('abort', () => resolve(), { once: true })),
	]);
	checkInterrupted();
	return { sent, startedAt, endedAt };
}

// ------------------------------------------------------------------------------------------ numbers

/** The p-th percentile (0–100, nearest rank) of `values`, undefined when empty. */
export function percentile(values: number[], p: number): number | undefined {
	if (values.length === 0) return undefined;
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export const round = (value: number | undefined, digits = 1): number | undefined =>
	value === undefined || !Number.isFinite(value) ? value : Math.round(value * 10 ** digits) / 10 ** digits;

// ------------------------------------------------------------------------------------------ settings

export function envList(name: string, fallback: string): string[] {
	const raw = process.env[name];
	return (raw === undefined ? fallback : raw)
		.split(',')
		.map((s) => s.trim())
		.filter((s) => s !== '');
}

export function envNumbers(name: string, fallback: string): number[] {
	return envList(name, fallback).map((s) => {
		const n = Number(s);
		if (!Number.isFinite(n) || n < 0) throw new Error(`${name}: "${s}" is not a number`);
		return n;
	});
}

export function envNumber(name: string, fallback: number): number {
	const raw = process.env[name];
	if (raw === undefined || raw.trim() === '') return fallback;
	const n = Number(raw);
	if (!Number.isFinite(n) || n < 0) throw new Error(`${name}: "${raw}" is not a number`);
	return n;
}
