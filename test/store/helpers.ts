import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as ts from 'typescript';

import type { AuditHashInput, AuditRow } from '../../nodes/shared/store/audit';
import type { CounterResult, StoreConfig } from '../../nodes/shared/store/types';
import type { BudgetSettings, Tokens } from '../../nodes/shared/usage/budgets';

export const REPO = join(__dirname, '..', '..');

/** The key the store tests chain their audit entries with (in WhatsAuto it derives from the store secret). */
export const AUDIT_KEY = Buffer.alloc(32, 0x5a);
/** Another key: what verification with the wrong store secret looks like. */
export const OTHER_AUDIT_KEY = Buffer.alloc(32, 0xa5);

function sortedJson(value: unknown): string {
	if (Array.isArray(value)) return `[${value.map(sortedJson).join(',')}]`;
	if (value !== null && typeof value === 'object') {
		const object = value as Record<string, unknown>;
		return `{${Object.keys(object)
			.sort()
			.map((key) => `${JSON.stringify(key)}:${sortedJson(object[key])}`)
			.join(',')}}`;
	}
	return JSON.stringify(value);
}

/** The fields of an audit entry as the version-3 store hashed them. */
export type Sha256AuditFields = AuditHashInput;

/**
 * The unkeyed audit hash of schema version 3, rebuilt here from its documentation on purpose (not imported from
 * the store: it is the oracle the store's own `unkeyedAuditHash` is checked against): SHA-256 over a JSON array
 * of the tag, the previous hash and the fields, detail as key-sorted JSON. What anyone with write access to the
 * database and no secret can compute. Stores upgraded from version 3 hold entries hashed this way; tests also
 * use it to forge entries.
 */
export function sha256AuditHash(prevHash: string, e: Sha256AuditFields): string {
	const fields = [e.seq, e.at.getTime(), e.requestId, e.subject, e.actor, e.action, e.fromState, e.toState, sortedJson(e.detail)];
	return createHash('sha256').update(JSON.stringify(['whatsauto.audit.v1', prevHash, ...fields]), 'utf8').digest('hex');
}

/** An `audit_log` row as schema version 3 wrote it: the columns the store reads, seq and at as numbers. */
export type LegacyAuditRow = Omit<AuditRow, 'seq' | 'at'> & { seq: number; at: number };

/** A version-3 audit log of `entries` (seq 1, 2, …, one minute apart), chained with {@link sha256AuditHash}, and its head. */
export function legacyAuditRows(
	entries: Array<{ requestId: string; subject: string; action: string; fromState?: string; toState?: string; detail?: Record<string, unknown> }>,
): { rows: LegacyAuditRow[]; head: { seq: number; hash: string } } {
	let prevHash = '0'.repeat(64);
	const start = Date.now() - 3_600_000;
	const rows = entries.map((e, i): LegacyAuditRow => {
		const fields: Sha256AuditFields = {
			seq: i + 1,
			at: new Date(start + i * 60_000),
			requestId: e.requestId,
			subject: e.subject,
			actor: 'system',
			action: e.action,
			fromState: e.fromState ?? '',
			toState: e.toState ?? '',
			detail: e.detail ?? { n: i },
		};
		const hash = sha256AuditHash(prevHash, fields);
		const row: LegacyAuditRow = {
			seq: fields.seq,
			at: fields.at.getTime(),
			request_id: fields.requestId,
			subject: fields.subject,
			actor: fields.actor,
			action: fields.action,
			from_state: fields.fromState,
			to_state: fields.toState,
			detail: sortedJson(fields.detail),
			prev_hash: prevHash,
			hash,
		};
		prevHash = hash;
		return row;
	});
	return { rows, head: { seq: rows.length, hash: prevHash } };
}

export interface ChildTask {
	/**
	 * claim: claims every id; migrate: opens the store; audit: appends one audit entry per id; lease: leases `scope`'s
	 * (a gate's) turns until none are left; counter: adds `counter.amount` (below `counter.below`) to the counter
	 * (`scope`, `counter.key`), `counter.attempts` times; budget: runs `budget.turns` model turns against the budgets
	 * (usage/budgets.ts reserve, a short wait, settle), then one at a time until one is refused.
	 */
	mode: 'claim' | 'migrate' | 'audit' | 'lease' | 'counter' | 'budget';
	config: StoreConfig;
	goFile: string;
	barrierTimeoutMs: number;
	scope?: string;
	ids?: string[];
	ttlMs?: number;
	concurrency?: number;
	/** The audit key as hex (audit mode). */
	auditKey?: string;
	/** What to add, to which counter, how often (counter mode). */
	counter?: { key: string; amount: number; below?: number; attempts: number; ttlMs: number };
	/**
	 * The turns to run (budget mode): each reserves `estimate` for `subject` and `model`, waits up to `maxDelayMs`,
	 * then settles a random actual use of `actualMin`–`actualMax` tokens (prompt up to the estimate's, the rest completion).
	 */
	budget?: { settings: BudgetSettings; subject: string; model: string; estimate: Tokens; turns: number; actualMin: number; actualMax: number; maxDelayMs: number };
}

export interface ChildResult {
	won?: string[];
	/** The contact of each turn this child leased (lease mode). */
	contacts?: string[];
	/** The seqs of the audit entries this child appended. */
	appended?: number[];
	/** What each of this child's addToCounter calls resolved (counter mode). */
	adds?: CounterResult[];
	/** The tokens each admitted turn settled, and how many turns were refused (budget mode). */
	actuals?: number[];
	refused?: number;
	started?: number;
	version?: number;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function makeTempDir(prefix: string): string {
	return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * Transpiles the store and the child script (type stripping only: tsc's type check runs on the repo as a
 * whole) into `outDir`, mirroring the repo layout, so children run plain JavaScript on Node 24.
 */
export function buildChildScript(outDir: string): string {
	const sources = [
		...readdirSync(join(REPO, 'nodes/shared/store'))
			.filter((f) => f.endsWith('.ts'))
			.map((f) => `nodes/shared/store/${f}`),
		// the budgets (budget mode) and the price arithmetic they charge with
		'nodes/shared/usage/budgets.ts',
		'nodes/shared/usage/aggregate.ts',
		'test/store/child-process.ts',
	];
	for (const rel of sources) {
		const output = ts.transpileModule(readFileSync(join(REPO, rel), 'utf8'), {
			compilerOptions: {
				module: ts.ModuleKind.CommonJS,
				target: ts.ScriptTarget.ES2022,
				esModuleInterop: true,
			},
			fileName: rel,
		});
		const target = join(outDir, rel.replace(/\.ts$/, '.js'));
		mkdirSync(dirname(target), { recursive: true });
		writeFileSync(target, output.outputText);
	}
	return join(outDir, 'test/store/child-process.js');
}

const live = new Set<ChildProcess>();

/** Kills (by pid, SIGKILL) any child a failed test left running. */
export function killLeftoverChildren(): void {
	for (const child of live) {
		if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
	}
	live.clear();
}

interface Running {
	child: ChildProcess;
	ready: Promise<void>;
	done: Promise<ChildResult>;
}

function startChild(script: string, task: ChildTask): Running {
	const child = spawn(process.execPath, [script], {
		env: {
			...process.env,
			NODE_PATH: join(REPO, 'node_modules'),
			WHATSAUTO_CHILD_TASK: JSON.stringify(task),
			NODE_NO_WARNINGS: '1',
		},
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	live.add(child);
	let stdout = '';
	let stderr = '';
	let onReady: () => void = () => undefined;
	const ready = new Promise<void>((resolve) => (onReady = resolve));
	const messages: ChildResult[] = [];
	child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
		stdout += chunk;
		let newline: number;
		while ((newline = stdout.indexOf('\n')) >= 0) {
			const line = stdout.slice(0, newline);
			stdout = stdout.slice(newline + 1);
			const message = JSON.parse(line) as ChildResult & { ready?: boolean };
			if (message.ready) onReady();
			else messages.push(message);
		}
	});
	child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
	const done = new Promise<ChildResult>((resolve, reject) => {
		child.on('error', reject);
		child.on('exit', (code, signal) => {
			live.delete(child);
			if (code === 0 && messages.length === 1) resolve(messages[0]);
			else reject(new Error(`child exited with ${code ?? signal}: ${stderr.trim()}`));
		});
	});
	// A child that dies before it is ready must fail the barrier rather than hang it.
	done.catch(() => onReady());
	return { child, ready, done };
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
	let timer: NodeJS.Timeout | undefined;
	const timeout = new Promise<never>((_, reject) => {
		timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
	});
	return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Starts one child per task, waits (bounded) until all are ready, releases them at once through the
 * barrier file and collects their results.
 */
export async function runChildren(
	script: string,
	workDir: string,
	tasks: Array<Omit<ChildTask, 'goFile' | 'barrierTimeoutMs'>>,
	timeoutMs = 60000,
): Promise<ChildResult[]> {
	const goFile = join(workDir, `go-${process.hrtime.bigint()}`);
	const running = tasks.map((task) => startChild(script, { ...task, goFile, barrierTimeoutMs: timeoutMs }));
	try {
		await within(Promise.all(running.map((r) => r.ready)), timeoutMs, 'children getting ready');
		writeFileSync(goFile, '');
		return await within(Promise.all(running.map((r) => r.done)), timeoutMs, 'children finishing');
	} finally {
		for (const r of running) {
			if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
		}
		rmSync(goFile, { force: true });
	}
}

/** How many times each id was won across all children. */
export function wonExactlyOnce(ids: string[], results: ChildResult[]): Map<string, number> {
	const counts = new Map<string, number>(ids.map((id) => [id, 0]));
	for (const result of results) {
		for (const id of result.won ?? []) counts.set(id, (counts.get(id) ?? 0) + 1);
	}
	return counts;
}

/**
 * Four children claim the same 300 message ids at once (`claim`: the store and claim options), half of them
 * walking the ids backwards so races happen across the whole range; every id must have exactly one winner.
 */
export async function expectOneWinnerPerId(script: string, workDir: string, claim: Pick<ChildTask, 'config'> & Partial<ChildTask>): Promise<void> {
	const ids = Array.from({ length: 300 }, (_, i) => `wamid.race-${i}`);
	const task = { mode: 'claim' as const, scope: 'race', ids, ttlMs: 60_000, ...claim };
	const reversed = { ...task, ids: [...ids].reverse() };
	const results = await runChildren(script, workDir, [task, reversed, task, reversed]);
	const counts = wonExactlyOnce(ids, results);
	expect([...counts].filter(([, n]) => n !== 1)).toEqual([]);
	expect(results.reduce((n, r) => n + (r.won?.length ?? 0), 0)).toBe(ids.length);
}
