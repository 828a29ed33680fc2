/**
 * Shared plumbing of the local fakes (graph-api.ts, openai.ts): capped record lists with `waitFor`, in-flight work
 * tracking (`settle`, cancellable sleeps), the HTTP server lifecycle and the fault-injection rule list. Node built-ins only.
 */
import { EventEmitter } from 'node:events';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

// ================================================================ records

/** Capped record lists (oldest dropped) that notify `waitFor` callers when a record is added or changes. */
export class RecordLog<Records> {
	private readonly events = new EventEmitter();

	/**
	 * @param label prefix of error messages, e.g. 'fake openai'
	 * @param list the (caller-owned, mutable) array holding records of `kind`
	 * @param max the cap per list, read at every insert
	 */
	constructor(
		private readonly label: string,
		private readonly list: <K extends keyof Records>(kind: K) => Records[K][],
		private readonly max: () => number,
	) {
		this.events.setMaxListeners(0);
	}

	/** Append (dropping the oldest beyond the cap) and notify. */
	record<K extends keyof Records>(kind: K, r: Records[K]): void {
		const list = this.list(kind);
		list.push(r);
		if (list.length > this.max()) list.shift();
		this.emit(kind, r);
	}

	/** Re-evaluate pending `waitFor` predicates against a record that changed. */
	emit<K extends keyof Records>(kind: K, r: Records[K]): void {
		this.events.emit(String(kind), r);
	}

	/** First record of `kind` (existing or future) matching the predicate; rejects after timeoutMs. */
	waitFor<K extends keyof Records>(kind: K, predicate: (r: Records[K]) => boolean, timeoutMs: number): Promise<Records[K]> {
		const existing = this.list(kind).find(predicate);
		if (existing) return Promise.resolve(existing);
		const event = String(kind);
		return new Promise((resolve, reject) => {
			const onRecord = (r: Records[K]) => {
				if (!predicate(r)) return;
				clearTimeout(timer);
				this.events.off(event, onRecord);
				resolve(r);
			};
			const timer = setTimeout(() => {
				this.events.off(event, onRecord);
				reject(new Error(`${this.label}: no matching '${event}' record within ${timeoutMs} ms (have ${this.list(kind).length})`));
			}, timeoutMs);
			this.events.on(event, onRecord);
		});
	}
}

// ================================================================ in-flight work

/** Tracks in-flight promises and cancellable sleeps so that `close()` can end everything and `settle()` can wait. */
export class InFlight {
	private readonly pending = new Set<Promise<unknown>>();
	private readonly timers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
	private isClosed = false;

	get closed(): boolean {
		return this.isClosed;
	}

	track<T>(p: Promise<T>): Promise<T> {
		this.pending.add(p);
		const drop = () => this.pending.delete(p);
		p.then(drop, drop);
		return p;
	}

	/** Wait until every tracked promise (including ones started meanwhile) has settled. */
	async settle(): Promise<void> {
		while (this.pending.size) await Promise.allSettled([...this.pending]);
	}

	/** Resolves after `delay` ms, or at once when closed / on close(). */
	sleep(delay: number): Promise<void> {
		if (this.isClosed) return Promise.resolve();
		return new Promise((resolve) => {
			const t = {
				resolve,
				timer: setTimeout(() => {
					this.timers.delete(t);
					resolve();
				}, delay),
			};
			this.timers.add(t);
		});
	}

	/** Mark closed and release every sleep. */
	close(): void {
		this.isClosed = true;
		for (const t of this.timers) {
			clearTimeout(t.timer);
			t.resolve();
		}
		this.timers.clear();
	}

	/** Wait for the promises tracked right now (one pass, unlike settle()). */
	async drain(): Promise<void> {
		await Promise.allSettled([...this.pending]);
	}
}

// ================================================================ HTTP server lifecycle

/** An HTTP server whose handler runs tracked by `work`; a handler that throws is answered `500 <label> crashed: <error>`. */
export function createFakeServer(label: string, work: InFlight, handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>): http.Server {
	const server = http.createServer((req, res) => {
		work.track(handle(req, res)).catch((e: unknown) => {
			if (!res.headersSent && !res.destroyed) {
				res.writeHead(500, { 'Content-Type': 'text/plain' });
				res.end(`${label} crashed: ${String(e)}`);
			}
		});
	});
	server.keepAliveTimeout = 5_000;
	return server;
}

/** Listen (default 127.0.0.1, random port) and return the bound address. */
export async function listenOn(server: http.Server, port = 0, host = '127.0.0.1'): Promise<AddressInfo> {
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(port, host, () => resolve());
	});
	return server.address() as AddressInfo;
}

/** Stop accepting, destroy every connection; resolves once the server has closed. */
export function closeServer(server: http.Server): Promise<void> {
	const closing = new Promise<void>((resolve) => server.close(() => resolve()));
	server.closeAllConnections();
	return closing;
}

// ================================================================ fault injection

/** The matching part every fake's inject rule shares. */
export interface BaseInjectRule {
	/** Substring of the path or a RegExp tested against it. Default: any. */
	path?: string | RegExp;
	method?: string;
	/** Matching requests this applies to. Default 1; Infinity for all. */
	times?: number;
}
export interface RuleHandle<R> {
	readonly rule: R;
	/** Matching requests served by this rule so far. */
	hits: number;
	remaining: number;
	cancel(): void;
}

/** Ordered fault-injection rules: the first live rule that matches a request wins and is used up after `times` hits. */
export class InjectionRules<R extends BaseInjectRule> {
	private handles: RuleHandle<R>[] = [];

	add(rule: R): RuleHandle<R> {
		const handle: RuleHandle<R> = {
			rule,
			hits: 0,
			remaining: rule.times ?? 1,
			cancel: () => {
				this.handles = this.handles.filter((r) => r !== handle);
			},
		};
		this.handles.push(handle);
		return handle;
	}

	clear(): void {
		this.handles = [];
	}

	/** Take the first live rule matching method and path (and then `extra`, if given), counting the hit. */
	take(method: string, path: string, extra?: (rule: R) => boolean): R | undefined {
		const handle = this.handles.find((h) => {
			const r = h.rule;
			if (h.remaining <= 0) return false;
			if (r.method && r.method.toUpperCase() !== method) return false;
			if (typeof r.path === 'string' && !path.includes(r.path)) return false;
			if (r.path instanceof RegExp && !r.path.test(path)) return false;
			return !extra || extra(r);
		});
		if (!handle) return undefined;
		handle.hits++;
		handle.remaining--;
		if (handle.remaining <= 0) handle.cancel();
		return handle.rule;
	}
}

// ================================================================ the common surface of the fakes

/**
 * What every fake offers on top of its own API: `waitFor` on its record lists, `settle`, and `inject` / `clearInjections`.
 * Subclasses own the record arrays (public fields named like the keys of `Records`) and implement `maxRecords()`.
 */
export abstract class FakeServerBase<Records, Rule extends BaseInjectRule> {
	protected readonly work = new InFlight();
	protected readonly rules = new InjectionRules<Rule>();
	protected readonly log: RecordLog<Records>;
	private clockOffset = 0;
	/** The fake's options; `now` is its injectable clock (ms since epoch). */
	abstract readonly options: { now?: () => number };

	/** @param label prefix of error messages, e.g. 'fake openai' */
	protected constructor(label: string) {
		this.log = new RecordLog<Records>(
			label,
			<K extends keyof Records>(kind: K) => (this as unknown as { [P in keyof Records]: Records[P][] })[kind],
			() => this.maxRecords(),
		);
	}

	/** Cap of every record list (oldest dropped). */
	protected abstract maxRecords(): number;

	protected get closed(): boolean {
		return this.work.closed;
	}

	/** Current fake time (ms): the injectable clock (default Date.now) plus every advanceClock(). */
	now(): number {
		return (this.options.now ?? Date.now)() + this.clockOffset;
	}
	/** Move the fake clock forward (graph: media URL expiry, 24 h window, rate buckets; openai: rate-limit windows, `created`). */
	advanceClock(ms: number): void {
		this.clockOffset += ms;
	}

	/**
	 * Resolve with the first record of `kind` (already recorded or arriving later) that matches; reject after timeoutMs.
	 * Predicates are re-evaluated whenever the fake updates a record (the OpenAI fake: when a request is hit by an
	 * injection, answered or aborted).
	 *   await graph.waitFor('webhooks', (w) => w.statuses.some((s) => s.status === 'failed'))
	 */
	waitFor<K extends keyof Records>(kind: K, predicate: (r: Records[K]) => boolean = () => true, timeoutMs = 5_000): Promise<Records[K]> {
		return this.log.waitFor(kind, predicate, timeoutMs);
	}

	/** Wait until all in-flight requests and automatic webhooks have finished (hung requests are released only by close()). */
	async settle(): Promise<void> {
		await this.work.settle();
	}

	/**
	 * Apply a fault to the next `times` matching requests (first matching rule wins). The OpenAI fake only considers
	 * authenticated requests.
	 */
	inject(rule: Rule): RuleHandle<Rule> {
		return this.rules.add(rule);
	}
	clearInjections(): void {
		this.rules.clear();
	}
}
