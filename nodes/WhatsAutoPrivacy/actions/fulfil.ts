import type { IBinaryData, IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { accessDisclosure } from '../../shared/privacy/disclosure';
import { outcomeOf, type PrivacyRequest, type RequestType, type StoreResult } from '../../shared/privacy/lifecycle';
import { privacyMessage, resolveLanguage, type MessageKey } from '../../shared/privacy/messages';
import { collectAccess, correct, erase, object, resume } from '../../shared/privacy/rights';
import { sendDocument, sendText, uploadMedia } from '../../shared/transport/messages';
import type { PrivacyServices } from './services';

export type Delivery = 'whatsapp' | 'binary' | 'both';

export interface FulfilOptions {
	contact: string;
	delivery: Delivery;
	sendConfirmation: boolean;
	correction: { name?: string; language?: string };
	actor: string;
}

export interface Fulfilled {
	request: PrivacyRequest;
	binary?: IBinaryData;
	confirmationIds: string[];
}

async function perform(
	svc: PrivacyServices,
	request: PrivacyRequest,
	options: FulfilOptions,
): Promise<{ results: StoreResult[]; exported?: Buffer; summary?: string }> {
	const type: RequestType = request.type;
	switch (type) {
		case 'access': {
			const { data, results } = await collectAccess(svc.desk, options.contact, request.id);
			const document = { ...data, information: accessDisclosure(svc.operator, resolveLanguage(request.language)) };
			const summary = [
				`Profile: ${data.profile ? 'yes' : 'none'}`,
				`Messages still held (encrypted, expiring): ${data.conversationMemory.length}`,
				`Reply records: ${data.replyHistory.length}`,
				`Privacy requests: ${data.privacyRequests.length}`,
				`AI replies: ${data.processingState.aiReplies}, marketing: ${data.processingState.marketing}`,
			].join('\n');
			return { results, exported: Buffer.from(JSON.stringify(document, null, 2)), summary };
		}
		case 'delete':
			return { results: await erase(svc.desk, options.contact, request) };
		case 'object':
			return { results: await object(svc.desk, options.contact, request.scope ?? 'all') };
		case 'resume':
			return { results: await resume(svc.desk, options.contact, request.scope ?? 'all') };
		case 'correct':
			return { results: await correct(svc.desk, options.contact, options.correction) };
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
			return 'object_done';
		case 'resume':
			return 'resume_done';
		case 'correct':
			return request.results.some((result) => result.outcome === 'done') ? 'correct_done' : 'correct_nothing';
	}
}

/**
 * Runs an identified request to its end: in_progress → the right performed on every store → completed,
 * partially completed (with what was kept and why) or failed; then the export and the confirmation in the
 * person's language. The erasure unlinks the request from the person before it is saved again.
 */
export async function fulfil(ctx: IExecuteFunctions, svc: PrivacyServices, identified: PrivacyRequest, options: FulfilOptions): Promise<Fulfilled> {
	let request = await svc.desk.advance(identified, 'in_progress', options.actor);
	let exported: Buffer | undefined;
	let summary: string | undefined;
	try {
		const done = await perform(svc, request, options);
		exported = done.exported;
		summary = done.summary;
		const kept = done.results.filter((result) => result.outcome === 'kept').map((result) => result.reason);
		request = await svc.desk.advance(request, outcomeOf(done.results), options.actor, {
			results: done.results,
			...(kept.length ? { reason: kept.join(' ') } : {}),
			...(request.type === 'delete' ? { subject: '' } : {}),
		});
	} catch (error) {
		request = await svc.desk.advance(request, 'failed', options.actor, { reason: `Internal error: ${(error as Error).name}` });
	}

	const recipient = { waId: options.contact };
	const language = resolveLanguage(request.language);
	const confirmationIds: string[] = [];
	let binary: IBinaryData | undefined;
	const fileName = `${request.id}-personal-data.json`;
	if (exported && options.delivery !== 'whatsapp') {
		binary = await ctx.helpers.prepareBinaryData(exported, fileName, 'application/json');
	}
	if (options.sendConfirmation) {
		const params: Record<string, string> = {
			requestId: request.id,
			business: svc.operator.controllerName,
			...(request.reason ? { kept: request.reason, reason: request.reason } : {}),
			...(svc.operator.supervisoryAuthority ? { authority: svc.operator.supervisoryAuthority } : {}),
			fields: (request.fields ?? Object.keys(options.correction)).join(', '),
		};
		if (exported && options.delivery !== 'binary') {
			// WhatsApp takes no application/json documents (131053): the same JSON goes as a plain-text file.
			const documentName = `${request.id}-personal-data.txt`;
			const mediaId = await uploadMedia(svc.http, svc.meta, exported, 'text/plain', documentName);
			confirmationIds.push(
				await sendDocument(svc.http, svc.meta, recipient, { mediaId, fileName: documentName, caption: privacyMessage('access_done', language, params) }),
			);
			confirmationIds.push(await sendText(svc.http, svc.meta, recipient, privacyMessage('access_summary', language, { ...params, summary: summary ?? '' })));
		} else {
			confirmationIds.push(await sendText(svc.http, svc.meta, recipient, privacyMessage(confirmationKey(request), language, params)));
		}
		await svc.desk.note(request, options.actor, 'confirmed', { messages: confirmationIds.length });
	}
	return { request, binary, confirmationIds };
}

export function requestOutput(request: PrivacyRequest, extra: IDataObject = {}): IDataObject {
	const { subject: _subject, ...visible } = request;
	return { ...(visible as unknown as IDataObject), ...extra };
}
