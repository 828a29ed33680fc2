import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as ts from 'typescript';

import type { StoreConfig } from '../../nodes/shared/store/types';

export const REPO = join(__dirname, '..', '..');

export interface ChildTask {
	/** claim: claims every id; migrate: opens the store; audit: appends one audit entry per id. */
	mode: 'claim' | 'migrate' | 'audit';
	config: StoreConfig;
	goFile: string;
	barrierTimeoutMs: number;
	scope?: string;
	ids?: string[];
	ttlMs?: number;
	concurrency?: number;
}

export interface ChildResult {
	won?: string[];
	/** The seqs of the audit entries this child appended. */
	appended?: number[];
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

/** Asserts every id was won exactly once across all children. */
export function wonExactlyOnce(ids: string[], results: ChildResult[]): Map<string, number> {
	const counts = new Map<string, number>(ids.map((id) => [id, 0]));
	for (const result of results) {
		for (const id of result.won ?? []) counts.set(id, (counts.get(id) ?? 0) + 1);
	}
	return counts;
}
