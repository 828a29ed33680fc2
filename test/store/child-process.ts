/**
 * Runs in a separate Node process (transpiled by helpers.ts) so the store is exercised across real
 * processes. Reads its task from WHATSAUTO_CHILD_TASK, prints one JSON line when ready and one with its
 * result, then exits. Waits at a start barrier (a file appearing) so every child acts at the same moment.
 */
import { existsSync } from 'node:fs';

import { closeAllStores, openStore } from '../../nodes/shared/store/index';
import type { CounterResult, WhatsAutoStore } from '../../nodes/shared/store/types';
import { reserve } from '../../nodes/shared/usage/budgets';
import type { ChildTask } from './helpers';

function say(message: object): void {
	process.stdout.write(`${JSON.stringify(message)}\n`);
}

function waitForGo(task: ChildTask): void {
	// A tight synchronous spin: the most precise barrier, and bounded.
	const deadline = Date.now() + task.barrierTimeoutMs;
	while (!existsSync(task.goFile)) {
		if (Date.now() > deadline) throw new Error('start barrier timed out');
	}
}

async function claimAll(store: WhatsAutoStore, task: ChildTask): Promise<string[]> {
	const ids = task.ids ?? [];
	const won: string[] = [];
	let next = 0;
	const worker = async () => {
		while (next < ids.length) {
			const id = ids[next++];
			if (await store.claim(task.scope ?? 'test', id, task.ttlMs ?? 60000)) won.push(id);
		}
	};
	await Promise.all(Array.from({ length: task.concurrency ?? 1 }, worker));
	return won;
}

async function appendAll(store: WhatsAutoStore, task: ChildTask): Promise<number[]> {
	const ids = task.ids ?? [];
	const appended: number[] = [];
	let next = 0;
	const worker = async () => {
		while (next < ids.length) {
			const id = ids[next++];
			const entry = await store.appendAudit({
				requestId: task.scope ?? 'test',
				subject: '',
				actor: 'system',
				action: 'received',
				detail: { id, pid: process.pid },
			}, Buffer.from(task.auditKey ?? '', 'hex'));
			appended.push(entry.seq);
		}
	};
	await Promise.all(Array.from({ length: task.concurrency ?? 1 }, worker));
	return appended;
}

async function addAll(store: WhatsAutoStore, task: ChildTask): Promise<CounterResult[]> {
	const { key, amount, below, attempts, ttlMs } = task.counter!;
	const adds: CounterResult[] = [];
	let next = 0;
	const worker = async () => {
		while (next++ < attempts) {
			adds.push(await store.addToCounter({ scope: task.scope ?? 'test', key, amount, below, expiresAt: new Date(Date.now() + ttlMs) }));
		}
	};
	await Promise.all(Array.from({ length: task.concurrency ?? 1 }, worker));
	return adds;
}

async function budgetTurns(store: WhatsAutoStore, task: ChildTask): Promise<{ actuals: number[]; refused: number }> {
	const { settings, subject, model, estimate, turns, actualMin, actualMax, maxDelayMs } = task.budget!;
	const actuals: number[] = [];
	let refused = 0;
	const turn = async (): Promise<boolean> => {
		const admission = await reserve(store, settings, subject, model, estimate);
		if (!admission.admitted) {
			refused++;
			return false;
		}
		await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * (maxDelayMs + 1))));
		const total = actualMin + Math.floor(Math.random() * (actualMax - actualMin + 1));
		const prompt = Math.min(estimate.prompt, total);
		await admission.reservation.settle({ prompt, completion: total - prompt, cached: 0 });
		actuals.push(total);
		return true;
	};
	let next = 0;
	const worker = async () => {
		while (next++ < turns) await turn();
	};
	await Promise.all(Array.from({ length: task.concurrency ?? 1 }, worker));
	// Then one at a time until refused: whatever turns the race left in flight, the budget ends up used.
	for (let more = true; more; ) more = await turn();
	return { actuals, refused };
}

async function main(): Promise<void> {
	const task = JSON.parse(process.env.WHATSAUTO_CHILD_TASK ?? '') as ChildTask;
	if (task.mode === 'audit') {
		const store = await openStore(task.config);
		await Promise.all(Array.from({ length: task.concurrency ?? 1 }, () => store.schemaVersion()));
		say({ ready: true });
		waitForGo(task);
		const started = Date.now();
		const appended = await appendAll(store, task);
		say({ appended, started });
	} else if (task.mode === 'lease') {
		const store = await openStore(task.config);
		await Promise.all(Array.from({ length: task.concurrency ?? 1 }, () => store.schemaVersion()));
		say({ ready: true });
		waitForGo(task);
		const started = Date.now();
		const won: string[] = [];
		const contacts: string[] = [];
		for (let empty = 0; empty < 3; ) {
			const turns = await store.leaseTurns(task.scope ?? 'test', { leaseId: `child-${process.pid}-${won.length}`, debounceMs: 0, capMs: 0, leaseMs: 60000, limit: 2 });
			if (turns.length === 0) empty++;
			for (const turn of turns) {
				contacts.push(turn.contactKey);
				won.push(...turn.messages.map((m) => m.id));
			}
		}
		say({ won, contacts, started });
	} else if (task.mode === 'counter') {
		const store = await openStore(task.config);
		await Promise.all(Array.from({ length: task.concurrency ?? 1 }, () => store.schemaVersion()));
		say({ ready: true });
		waitForGo(task);
		const started = Date.now();
		const adds = await addAll(store, task);
		say({ adds, started });
	} else if (task.mode === 'budget') {
		const store = await openStore(task.config);
		await Promise.all(Array.from({ length: task.concurrency ?? 1 }, () => store.schemaVersion()));
		say({ ready: true });
		waitForGo(task);
		const started = Date.now();
		const { actuals, refused } = await budgetTurns(store, task);
		say({ actuals, refused, started });
	} else if (task.mode === 'claim') {
		const store = await openStore(task.config);
		// Warm every pooled connection so the race starts with connections ready.
		await Promise.all(Array.from({ length: task.concurrency ?? 1 }, () => store.schemaVersion()));
		say({ ready: true });
		waitForGo(task);
		const started = Date.now();
		const won = await claimAll(store, task);
		say({ won, started });
	} else {
		say({ ready: true });
		waitForGo(task);
		const store = await openStore(task.config);
		say({ version: await store.schemaVersion() });
	}
	await closeAllStores();
}

main().then(
	() => process.exit(0),
	(error: unknown) => {
		// Error messages only (store errors carry no content or secrets).
		process.stderr.write(`child failed: ${(error as Error)?.message ?? String(error)}\n`);
		process.exit(1);
	},
);
