/**
 * The conversation gate's hand-off loop: the trigger's `trigger()`, one per active workflow (on the leader main
 * in queue mode). Every HANDOFF_POLL_MS it leases the ready turns from the store, builds one item per turn and
 * starts one execution for up to TURNS_PER_EXECUTION of them; a turn is settled when its execution finishes
 * (done: its messages leave the inbox; failed: handed on again, at most MAX_TURN_ATTEMPTS times). At most
 * MAX_EXECUTIONS_IN_FLIGHT executions run at once: the rest waits in the store. Leases are renewed while held, so
 * a crashed main's turns are taken over GATE_LEASE_MS later, by this loop or another main's.
 */
import { randomUUID } from 'node:crypto';

import type { INodeExecutionData, IRun, ITriggerFunctions } from 'n8n-workflow';

import { cachedCredentials } from '../../shared/credentialCache';
import { storeFor } from '../../shared/store/access';
import { GATE_LEASE_MS } from '../../shared/store/scopes';
import type { InboxTurn, WhatsAutoStore } from '../../shared/store/types';
import { META_CREDENTIAL, toMetaCredentials } from '../../shared/transport/metaCredentials';
import type { TriggerConfig } from '../webhook/config';
import { toItems } from '../webhook/items';
import { OUTPUT, type RoutedUpdate } from '../webhook/route';
import { gateIdOf, inboxKey, openInboxMessage } from './inbox';
import {
	EXPIRY_CHECK_MS,
	HANDOFF_POLL_MS,
	MAX_EXECUTIONS_IN_FLIGHT,
	MAX_TURN_ATTEMPTS,
	TURNS_PER_EXECUTION,
	type GateSettings,
} from './settings';
import { expiredItem, turnItem } from '../../shared/turns';

export interface HandoffOptions {
	pollMs?: number;
	leaseMs?: number;
}

export class HandoffLoop {
	private readonly gate: string;
	private readonly instance = randomUUID();
	private timer: NodeJS.Timeout | undefined;
	private stopped = false;
	private ticking = false;
	private lastExpiryCheck = 0;
	private lastRenewal = 0;
	/** Lease ids of the turns in executions that have not finished yet. */
	private readonly held = new Set<string>();
	private inFlight = 0;
	private readonly pollMs: number;
	private readonly leaseMs: number;

	constructor(
		private readonly ctx: ITriggerFunctions,
		private readonly config: TriggerConfig,
		private readonly settings: GateSettings,
		options: HandoffOptions = {},
	) {
		this.gate = gateIdOf(ctx);
		this.pollMs = options.pollMs ?? HANDOFF_POLL_MS;
		this.leaseMs = options.leaseMs ?? GATE_LEASE_MS;
	}

	start(): void {
		this.schedule(0);
	}

	/** Stops handing on; turns in flight keep their leases until they lapse (another main, or the next start, takes them). */
	stop(): void {
		this.stopped = true;
		if (this.timer) clearTimeout(this.timer);
	}

	private schedule(ms: number): void {
		if (this.stopped) return;
		if (this.timer) clearTimeout(this.timer);
		this.timer = setTimeout(() => void this.tick(), ms);
		this.timer.unref?.();
	}

	/** One round; never throws (a store outage is logged and tried again next round). */
	async tick(): Promise<number> {
		if (this.ticking || this.stopped) return 0;
		this.ticking = true;
		let started = 0;
		try {
			const { store, keys } = await storeFor(this.ctx);
			await this.renew(store);
			await this.reportExpired(store);
			while (!this.stopped && this.inFlight < MAX_EXECUTIONS_IN_FLIGHT) {
				const turns = await store.leaseTurns(this.gate, {
					leaseId: `${this.instance}:${randomUUID()}`,
					debounceMs: this.settings.debounceMs,
					capMs: this.settings.capMs,
					leaseMs: this.leaseMs,
					limit: TURNS_PER_EXECUTION,
					sentBefore: Date.now() - this.settings.maxAgeMs,
				});
				if (turns.length === 0) break;
				const creds = toMetaCredentials(await cachedCredentials(this.ctx, META_CREDENTIAL));
				await this.handOn(store, inboxKey(keys, creds.appSecret), creds, turns);
				started++;
			}
		} catch (error) {
			this.ctx.logger.warn(`WhatsAuto Trigger's conversation gate could not hand turns on (tried again shortly): ${(error as Error).message}`);
		} finally {
			this.ticking = false;
			this.schedule(this.pollMs);
		}
		return started;
	}

	/** Renews the leases of the turns in flight a few times per lease, not every round. */
	private async renew(store: WhatsAutoStore): Promise<void> {
		const now = Date.now();
		if (this.held.size === 0 || now - this.lastRenewal < this.leaseMs / 3) return;
		this.lastRenewal = now;
		await store.renewTurns([...this.held], this.leaseMs);
	}

	private async reportExpired(store: WhatsAutoStore): Promise<void> {
		const now = Date.now();
		if (now - this.lastExpiryCheck < EXPIRY_CHECK_MS) return;
		this.lastExpiryCheck = now;
		const expired = await store.expireInbox(this.gate, now - this.settings.maxAgeMs);
		if (expired.length === 0) return;
		this.ctx.logger.warn(`WhatsAuto Trigger's conversation gate: ${expired.length} message(s) waited past the gate's max age; reported as expired, not answered`);
		const byContact = new Map<string, typeof expired>();
		for (const e of expired) byContact.set(e.contactKey, [...(byContact.get(e.contactKey) ?? []), e]);
		const items = [...byContact].map(([contactKey, messages]) => expiredItem(contactKey, messages));
		const outputs: INodeExecutionData[][] = [[], [], []];
		outputs[OUTPUT.events] = items;
		this.ctx.emit(outputs);
	}

	/** Turns whose executions failed MAX_TURN_ATTEMPTS times: marked failed in the store, reported like expired ones. */
	private reportFailed(turns: InboxTurn[]): void {
		this.ctx.logger.warn(`WhatsAuto Trigger's conversation gate: ${turns.length} turn(s) failed ${MAX_TURN_ATTEMPTS} times; reported as failed, not handed on again`);
		const outputs: INodeExecutionData[][] = [[], [], []];
		outputs[OUTPUT.events] = turns.map((turn) => {
			const item = expiredItem(turn.contactKey, turn.messages);
			return { json: { ...item.json, kind: 'failed', attempts: MAX_TURN_ATTEMPTS } };
		});
		this.ctx.emit(outputs);
	}

	/** Builds the turns' items and starts one execution for them; settles the turns when it finishes. */
	private async handOn(store: WhatsAutoStore, key: Buffer, creds: Parameters<typeof toItems>[2], turns: InboxTurn[]): Promise<void> {
		const items: INodeExecutionData[] = [];
		const handed: InboxTurn[] = [];
		for (const turn of turns) {
			let routed: RoutedUpdate[];
			try {
				routed = turn.messages.map((m) => openInboxMessage(key, m.id, m.data));
			} catch (error) {
				this.ctx.logger.error(`WhatsAuto Trigger's conversation gate could not read a waiting turn (${(error as Error).name}); marked failed`);
				await store.settleTurn(turn.leaseId, 'failed', 1);
				continue;
			}
			// Each message names the hand-off it belongs to: after a crash the turn is handed on under a new lease,
			// and the Auto-Reply may then take it over from the execution that died with the old one. It also says when
			// the trigger stored it and when it was handed on (epoch ms), for the usage ledger's latencies.
			const handedOnAt = Date.now();
			const messageItems = (await toItems(this.ctx, this.config, creds, routed)).map((o, i) => ({
				...o.item,
				json: { ...o.item.json, gateLease: turn.leaseId, receivedAt: turn.messages[i].receivedAt, handedOnAt },
			}));
			items.push(turnItem(messageItems, turn.contactKey));
			handed.push(turn);
		}
		if (handed.length === 0) return;
		for (const turn of handed) this.held.add(turn.leaseId);
		this.inFlight++;
		const done = this.ctx.helpers.createDeferredPromise<IRun>();
		const outputs: INodeExecutionData[][] = [[], [], []];
		outputs[OUTPUT.messages] = items;
		const settle = async (outcome: 'done' | 'failed') => {
			this.inFlight--;
			const gaveUp: InboxTurn[] = [];
			for (const turn of handed) {
				this.held.delete(turn.leaseId);
				try {
					const settled = await store.settleTurn(turn.leaseId, outcome, MAX_TURN_ATTEMPTS);
					if (outcome === 'failed' && settled > 0 && turn.messages.some((m) => m.attempts + 1 >= MAX_TURN_ATTEMPTS)) gaveUp.push(turn);
				} catch (error) {
					this.ctx.logger.warn(`WhatsAuto Trigger's conversation gate could not settle a turn (its lease will lapse and it is handed on again): ${(error as Error).message}`);
				}
			}
			if (gaveUp.length) this.reportFailed(gaveUp);
			this.schedule(0);
		};
		done.promise.then(
			(run) => settle(failed(run) ? 'failed' : 'done'),
			() => settle('failed'),
		);
		this.ctx.emit(outputs, undefined, done);
	}
}

function failed(run: IRun | undefined): boolean {
	if (!run) return false;
	return run.status === 'error' || run.status === 'crashed' || Boolean(run.data?.resultData?.error);
}
