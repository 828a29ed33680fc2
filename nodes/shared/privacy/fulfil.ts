/**
 * The privacy request runner: performs the right on every store, delivers an access export over WhatsApp,
 * advances the request to its end state and confirms the outcome to the person. Free of n8n: whoever runs it
 * (the Privacy Request node) passes the services and, for an export it delivers itself, a `handOver`.
 */
import type { HttpRequester } from '../transport/graphApi';
import { reachable, type Person } from '../store/people';
import { sendDocument, sendText, uploadMedia, type Recipient } from '../transport/messages';
import type { MetaCredentials } from '../transport/metaCredentials';
import type { PrivacyDesk } from './desk';
import { accessDisclosure, type OperatorInfo } from './disclosure';
import { outcomeOf, type Actor, type PrivacyRequest, type RequestType, type StoreResult } from './lifecycle';
import { accessSummary, privacyMessage, resolveLanguage, type MessageKey } from './messages';
import { collectAccess, correct, erase, object, resume, type Correction } from './rights';

/** What a request runs on: the desk over the store, the WhatsApp Cloud API, and who operates the service. */
export interface PrivacyServices {
	desk: PrivacyDesk;
	http: HttpRequester;
	meta: MetaCredentials;
	operator: OperatorInfo;
}

/** Where an access export goes: a WhatsApp document, handed over to the caller (`handOver`), or both. */
export type Delivery = 'whatsapp' | 'binary' | 'both';

export interface FulfilOptions<Handed> {
	/** Who the request is about, and where to reach them (store/people.ts personOf). */
	person: Person;
	delivery: Delivery;
	sendConfirmation: boolean;
	correction: Correction;
	actor: Actor;
	/**
	 * Takes the JSON export when it is not for WhatsApp only (delivery 'binary' or 'both'), once the request
	 * has reached its end state and before the confirmation is sent.
	 */
	handOver?: (exported: Buffer, request: PrivacyRequest) => Promise<Handed>;
}

export interface Fulfilled<Handed> {
	request: PrivacyRequest;
	/** What `handOver` returned, when it was called. */
	handedOver?: Handed;
	confirmationIds: string[];
}

async function perform(
	svc: PrivacyServices,
	request: PrivacyRequest,
	options: FulfilOptions<unknown>,
): Promise<{ results: StoreResult[]; exported?: Buffer; summary?: string }> {
	const type: RequestType = request.type;
	switch (type) {
		case 'access': {
			const { data, results } = await collectAccess(svc.desk, options.person, request.id);
			const document = { ...data, information: accessDisclosure(svc.operator, resolveLanguage(request.language)) };
			const summary = accessSummary(resolveLanguage(request.language), {
				profile: Boolean(data.profile),
				messages: data.conversationMemory.length,
				replies: data.replyHistory.length,
				requests: data.privacyRequests.length,
				aiReplies: data.processingState.aiReplies,
				marketing: data.processingState.marketing,
			});
			return { results, exported: Buffer.from(JSON.stringify(document, null, 2)), summary };
		}
		case 'delete':
			return { results: await erase(svc.desk, options.person, request) };
		case 'object':
			return { results: await object(svc.desk, options.person, request.scope ?? 'all') };
		case 'resume':
			return { results: await resume(svc.desk, options.person, request.scope ?? 'all') };
		case 'correct':
			return { results: await correct(svc.desk, options.person, options.correction) };
	}
}

function confirmationKey(request: PrivacyRequest): MessageKey {
	if (request.state === 'failed') return 'failed';
	if (request.state === 'denied') return 'denied';
	switch (request.type) {
		case 'access':
			return 'access_done';
		case 'delete':
			return request.state === 'partially_completed' ? 'delete_partial' : 'delete_done';
		case 'object':
			return request.scope === 'marketing' ? 'object_marketing_done' : 'object_done';
		case 'resume':
			return request.scope === 'marketing' ? 'resume_marketing_done' : 'resume_done';
		case 'correct':
			return request.results.some((result) => result.outcome === 'done') ? 'correct_done' : 'correct_nothing';
	}
}

/** The export as a WhatsApp document plus a short summary; part of fulfilling an access request. */
async function deliverExport(
	svc: PrivacyServices,
	request: PrivacyRequest,
	recipient: Recipient,
	exported: Buffer,
	summary: string,
): Promise<string[]> {
	if (!reachable(recipient)) throw new Error('the number is not known here any more (the contact reference outlived its contact record)');
	const language = resolveLanguage(request.language);
	const params = { requestId: request.id, business: svc.operator.controllerName };
	// WhatsApp takes no application/json documents (131053): the same JSON goes as a plain-text file.
	const documentName = `${request.id}-personal-data.txt`;
	const mediaId = await uploadMedia(svc.http, svc.meta, exported, 'text/plain', documentName);
	return [
		await sendDocument(svc.http, svc.meta, recipient, { mediaId, fileName: documentName, caption: privacyMessage('access_done', language, params) }),
		await sendText(svc.http, svc.meta, recipient, privacyMessage('access_summary', language, { ...params, summary })),
	];
}

/**
 * Runs an identified request to its end: in_progress → the right performed on every store (and, for
 * access over WhatsApp, the export delivered) → completed, partially completed (with what was kept and
 * why) or failed; then the export handed over (delivery 'binary' or 'both') and the confirmation in the
 * person's language. The erasure unlinks the request from the person before it is saved again.
 */
export async function fulfil<Handed>(svc: PrivacyServices, identified: PrivacyRequest, options: FulfilOptions<Handed>): Promise<Fulfilled<Handed>> {
	let request = await svc.desk.advance(identified, 'in_progress', options.actor);
	let exported: Buffer | undefined;
	const confirmationIds: string[] = [];
	try {
		const done = await perform(svc, request, options);
		exported = done.exported;
		if (exported && options.delivery !== 'binary') {
			try {
				confirmationIds.push(...(await deliverExport(svc, request, options.person.recipient, exported, done.summary ?? '')));
				done.results.push({ store: 'whatsapp delivery', outcome: 'done', count: 1 });
			} catch (error) {
				done.results.push({ store: 'whatsapp delivery', outcome: 'failed', reason: `The export could not be sent over WhatsApp: ${(error as Error).message}` });
			}
		}
		const kept = done.results.filter((result) => result.outcome === 'kept').map((result) => result.reason);
		const failed = done.results.filter((result) => result.outcome === 'failed').map((result) => result.reason);
		request = await svc.desk.advance(request, outcomeOf(done.results), options.actor, {
			results: done.results,
			...(kept.length || failed.length ? { reason: [...failed, ...kept].join(' ') } : {}),
			...(request.type === 'delete' ? { subject: '' } : {}),
		});
	} catch (error) {
		request = await svc.desk.advance(request, 'failed', options.actor, { reason: `Internal error: ${(error as Error).name}` });
	}

	let handedOver: Handed | undefined;
	if (exported && options.delivery !== 'whatsapp' && options.handOver) {
		handedOver = await options.handOver(exported, request);
	}
	const exportSent = confirmationIds.length > 0;
	// Without a number (or user id) to send to, the request still ran: only the confirmation cannot go.
	if (options.sendConfirmation && !exportSent && reachable(options.person.recipient)) {
		const params: Record<string, string> = {
			requestId: request.id,
			business: svc.operator.controllerName,
			...(request.reason ? { kept: request.reason, reason: request.reason } : {}),
			...(svc.operator.supervisoryAuthority ? { authority: svc.operator.supervisoryAuthority } : {}),
			fields: (request.fields ?? Object.keys(options.correction)).join(', '),
		};
		const key = confirmationKey(request);
		confirmationIds.push(await sendText(svc.http, svc.meta, options.person.recipient, privacyMessage(key, resolveLanguage(request.language), params)));
	}
	if (confirmationIds.length) await svc.desk.note(request, options.actor, 'confirmed', { messages: confirmationIds.length });
	return { request, handedOver, confirmationIds };
}
