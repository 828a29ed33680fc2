import type { INodeExecutionData, IWebhookFunctions, IWebhookResponseData } from 'n8n-workflow';

import { cachedCredentials, invalidateCredentials } from '../../shared/credentialCache';
import { opaqueKey } from '../../shared/crypto';
import { META_CREDENTIAL, toMetaCredentials, type MetaCredentials } from '../../shared/transport/metaCredentials';
import { purgeOccasionally, storeFor } from '../../shared/store/access';
import { DEFAULT_USAGE_RETENTION_MS, SCOPES } from '../../shared/store/scopes';
import { recordSentPricing } from '../../shared/usage/pricing';
import { DeliveryRejectedError, parseDelivery, type StatusUpdate, type WebhookUpdate } from '../../shared/whatsapp';
import type { ContentKeys } from '../../shared/store/contentByReference';
import { followIdentityChange, linkUserId } from '../../shared/store/people';
import type { WhatsAutoStore } from '../../shared/store/types';
import { readConfig } from './readConfig';
import { answerHandshake, type HandshakeQuery } from './handshake';
import { verifySignature } from './signature';
import { route, type RouteResult, type RoutedUpdate } from './route';
import { toItems } from './items';
import { dedupeKey } from './dedupe';
import { admissionsFor, gateIdOf, inboxFull, noteAdmitted, type PendingClaim } from '../gate/inbox';
import { GATE_RETRY_AFTER_SECONDS } from '../gate/settings';

/** Meta sends at most 3 MB per delivery; anything larger is not Meta. */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

const isObject = (value: unknown): value is object =>
	typeof value === 'object' && value !== null && !Buffer.isBuffer(value) && Object.keys(value).length > 0;

function reply(ctx: IWebhookFunctions, status: number, body = ''): IWebhookResponseData {
	ctx.getResponseObject().status(status).type('text/plain').send(body);
	return { noWebhookResponse: true };
}

function reject(ctx: IWebhookFunctions, status: number, reason: string): IWebhookResponseData {
	const node = ctx.getNode();
	ctx.logger.warn(`WhatsAuto Trigger rejected a webhook call with ${status}: ${reason}`, {
		workflowId: ctx.getWorkflow().id,
		node: node.name,
	});
	return reply(ctx, status, reason);
}

async function metaCredentials(ctx: IWebhookFunctions): Promise<MetaCredentials> {
	return toMetaCredentials(await cachedCredentials(ctx, META_CREDENTIAL));
}

async function handshake(ctx: IWebhookFunctions): Promise<IWebhookResponseData> {
	const query = ctx.getQueryData() as HandshakeQuery;
	let result = answerHandshake(query, (await metaCredentials(ctx)).verifyToken);
	if (!result.ok && invalidateCredentials(ctx.getNode(), META_CREDENTIAL)) {
		result = answerHandshake(query, (await metaCredentials(ctx)).verifyToken);
	}
	if (!result.ok) return reject(ctx, 403, `verification handshake refused (${result.reason})`);
	return reply(ctx, 200, result.challenge);
}

async function verified(ctx: IWebhookFunctions, raw: Buffer | undefined): Promise<{ creds: MetaCredentials; failure?: string }> {
	const header = ctx.getHeaderData()['x-hub-signature-256'];
	let creds = await metaCredentials(ctx);
	let check = verifySignature(raw, header, creds.appSecret);
	// A rotated or newly entered app secret: read the credential again (at most once per cooldown).
	const refresh = !check.ok && (check.reason === 'signature mismatch' || check.reason === 'no app secret');
	if (refresh && invalidateCredentials(ctx.getNode(), META_CREDENTIAL)) {
		creds = await metaCredentials(ctx);
		check = verifySignature(raw, header, creds.appSecret);
	}
	return { creds, failure: check.ok ? undefined : check.reason };
}

/** With the conversation gate on: which inbox new messages go to, and the app secret that keys it without store keys. */
interface GateTarget {
	gate: string;
	appSecret: string;
	/** Gate Inbox Limit; 0: none. */
	inboxLimit: number;
}

/**
 * Only store work in here: whatever throws in this function is a store failure (answered 500). With the store
 * credential's keys, who is who follows each new message before Meta is answered (people.ts): a number change or
 * user id change moves the person's data to the new id, a message naming both number and user id links them. If
 * that fails, the claims are given back so Meta's retry does it all again (both steps are idempotent).
 * With the conversation gate, each new message is claimed and written to the inbox in one transaction.
 */
async function claimNew(ctx: IWebhookFunctions, claims: PendingClaim[], target?: GateTarget): Promise<RoutedUpdate[]> {
	const { store, keys } = await storeFor(ctx);
	purgeOccasionally(store, (error) => ctx.logger.warn(`WhatsAuto store purge failed: ${error.message}`), Date.now(), keys);
	let fresh: PendingClaim[] = [];
	if (target) {
		const won = await store.admitInbox(SCOPES.inbound.name, SCOPES.inbound.lifetimeMs, await admissionsFor(store, keys, target.appSecret, target.gate, claims));
		fresh = claims.filter((_, i) => won[i]);
		noteAdmitted(store, target.gate, fresh.filter(({ entry }) => entry.update.kind === 'message').length);
	} else {
		for (const claim of claims) {
			if (await store.claim(SCOPES.inbound.name, claim.key, SCOPES.inbound.lifetimeMs)) fresh.push(claim);
		}
	}
	if (keys) {
		try {
			for (const { entry } of fresh) await followPerson(store, keys, entry.update);
		} catch (error) {
			if (target) await store.withdrawInbox(SCOPES.inbound.name, fresh.map(({ key }) => key)).catch(() => undefined);
			else for (const { key } of fresh) await store.releaseClaim(SCOPES.inbound.name, key).catch(() => undefined);
			throw error;
		}
	}
	return fresh.map(({ entry }) => entry);
}

/** What a new message says about who its sender is: an identity change, or a number and user id together. */
async function followPerson(store: WhatsAutoStore, keys: ContentKeys, update: WebhookUpdate): Promise<void> {
	if (update.kind !== 'message') return;
	// A system message names the sender as they were (the old number): it links nothing.
	if (update.type === 'system') {
		if (update.identityChange) await followIdentityChange(store, keys, update.identityChange);
		return;
	}
	if (update.from.waId && update.from.userId) await linkUserId(store, keys, update.from.waId, update.from.userId);
}

/**
 * Record Meta Pricing: the pricing of each newly claimed status about a message the Auto-Reply sent goes into the
 * usage ledger (recordSentPricing: once per message), kept DEFAULT_USAGE_RETENTION_MS. Only with the store
 * credential's keys (the Auto-Reply's `sent` records are keyed by them). After the 200, never failing the call:
 * a failure is one warning line.
 */
async function notePricing(ctx: IWebhookFunctions, fresh: RoutedUpdate[]): Promise<void> {
	const priced = fresh.filter(({ update }) => update.kind === 'status' && update.pricing !== undefined);
	if (priced.length === 0) return;
	try {
		const { store, keys } = await storeFor(ctx);
		if (!keys) return;
		for (const { update } of priced) await recordSentPricing(store, keys.pseudonymise, update as StatusUpdate, DEFAULT_USAGE_RETENTION_MS);
	} catch (error) {
		ctx.logger.warn(`WhatsAuto Trigger could not record Meta's pricing of a sent message: ${(error as Error).message}`, {
			workflowId: ctx.getWorkflow().id,
		});
	}
}

/** Why a verified body is refused (400); never quotes the body (a SyntaxError's message would). */
function rejection(error: unknown): string {
	if (error instanceof DeliveryRejectedError) return error.reason;
	if (error instanceof SyntaxError) return 'body is not JSON';
	return `body could not be read (${error instanceof Error ? error.name : typeof error})`;
}

function describeDrops(dropped: Record<string, number | undefined>, duplicates: number): string {
	const parts = Object.entries({ ...dropped, duplicate: duplicates || undefined })
		.filter(([, count]) => count)
		.map(([reason, count]) => `${count} ${reason}`);
	return parts.join(', ');
}

/**
 * A POST from Meta: verify the signature over the raw bytes, parse, route, deduplicate through the store,
 * answer 200 at once, and only then do the slow part (media, content by reference) before the execution.
 */
async function delivery(ctx: IWebhookFunctions): Promise<IWebhookResponseData> {
	const req = ctx.getRequestObject() as { rawBody?: Buffer; body?: unknown; readRawBody?: () => Promise<void> };
	if (!req.rawBody && req.readRawBody) await req.readRawBody();
	const raw = req.rawBody;
	if (raw && raw.length > MAX_BODY_BYTES) return reject(ctx, 413, `body of ${raw.length} bytes is over the ${MAX_BODY_BYTES}-byte cap`);

	const { creds, failure } = await verified(ctx, raw);
	if (failure === 'no app secret') return reject(ctx, 401, 'the WhatsApp credential has no app secret, so no signature can be checked');
	if (failure) return reject(ctx, 401, `invalid signature (${failure})`);

	const config = readConfig(ctx);
	// Test webhooks (the editor's "listen") have no hand-off loop behind them: the gate is for the active workflow.
	const gate: GateTarget | undefined =
		config.gate && ctx.getMode() !== 'manual' ? { gate: gateIdOf(ctx), appSecret: creds.appSecret, inboxLimit: config.gate.inboxLimit } : undefined;
	let routed: RoutedUpdate[];
	let dropped: RouteResult['dropped'];
	let claims: PendingClaim[];
	try {
		// Parse, route and dedupe keys: any exception here is the body's doing (400), never the store's (500).
		// n8n has already parsed a JSON body (and answered 422 itself when it was not JSON).
		const parsed: unknown = isObject(req.body) ? req.body : JSON.parse(raw!.toString('utf8'));
		const updates = parseDelivery(parsed, { includeRaw: config.includeRaw });
		({ routed, dropped } = route(updates, config, creds, Date.now()));
		claims = routed.map((entry) => ({ entry, key: opaqueKey(creds.appSecret, dedupeKey(entry.update)) }));
	} catch (error) {
		return reject(ctx, 400, rejection(error));
	}

	let fresh: RoutedUpdate[];
	try {
		// Overload: with the inbox full, a delivery with new messages is not taken (nothing claimed or written) and
		// Meta is asked to send it again later; deliveries without messages (statuses, events) or with duplicates only go on.
		const messageKeys = gate ? claims.filter(({ entry }) => entry.update.kind === 'message').map(({ key }) => key) : [];
		if (gate && messageKeys.length > 0) {
			const { store } = await storeFor(ctx);
			if ((await inboxFull(store, gate.gate, gate.inboxLimit)) && (await store.claimed(SCOPES.inbound.name, messageKeys)).includes(false)) {
				ctx.logger.warn(`WhatsAuto Trigger: the gate's inbox holds ${gate.inboxLimit} or more waiting messages; answering 503 so Meta sends this delivery again later`, {
					workflowId: ctx.getWorkflow().id,
				});
				ctx.getResponseObject().status(503).setHeader('Retry-After', String(GATE_RETRY_AFTER_SECONDS)).end();
				return { noWebhookResponse: true };
			}
		}
		fresh = claims.length ? await claimNew(ctx, claims, gate) : [];
	} catch (error) {
		ctx.logger.error(`WhatsAuto Trigger could not reach its store; answering 500 so Meta retries: ${(error as Error).message}`);
		return reply(ctx, 500, 'store unavailable');
	}

	const dropNote = describeDrops(dropped, routed.length - fresh.length);
	if (dropNote) {
		// Routine drops (duplicates, statuses nobody asked for) arrive several times per message: debug only.
		const noteworthy = dropped.other_phone_number || dropped.stale || dropped.type_filtered;
		const log = noteworthy ? ctx.logger.info : ctx.logger.debug;
		log.call(ctx.logger, `WhatsAuto Trigger acknowledged without starting anything for: ${dropNote}`, {
			workflowId: ctx.getWorkflow().id,
		});
	}

	reply(ctx, 200);
	if (config.recordPricing) await notePricing(ctx, fresh);
	// With the gate, messages wait in the inbox for the hand-off loop (gate/handoff.ts); statuses and events go on now.
	const now = fresh.filter((entry) => !entry.pricingOnly && !(gate && entry.update.kind === 'message'));
	if (now.length === 0) return { noWebhookResponse: true };

	const outputs: INodeExecutionData[][] = [[], [], []];
	for (const { output, item } of await toItems(ctx, config, creds, now)) outputs[output].push(item);
	return { noWebhookResponse: true, workflowData: outputs };
}

export async function receive(ctx: IWebhookFunctions): Promise<IWebhookResponseData> {
	return ctx.getWebhookName() === 'setup' ? await handshake(ctx) : await delivery(ctx);
}

