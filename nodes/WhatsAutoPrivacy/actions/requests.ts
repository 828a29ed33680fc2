import { NodeOperationError, type IDataObject, type IExecuteFunctions, type INodeExecutionData } from 'n8n-workflow';

import { forgetContent, resolveContent } from '../../shared/content';
import { detectPrivacyCommand } from '../../shared/privacy/detect';
import { checkCode, CODE_TTL_MS, issueCode } from '../../shared/privacy/identity';
import { extend, type Channel, type PrivacyRequest, type RequestType } from '../../shared/privacy/lifecycle';
import { privacyMessage, resolveLanguage } from '../../shared/privacy/messages';
import { sendTemplate, sendText } from '../../shared/transport/messages';
import { fulfil, requestOutput, type Delivery } from './fulfil';
import type { PrivacyServices } from './services';

const RIGHTS: readonly RequestType[] = ['access', 'correct', 'delete', 'object', 'resume'];

const param = (ctx: IExecuteFunctions, name: string, itemIndex: number, fallback: unknown = '') =>
	ctx.getNodeParameter(name, itemIndex, fallback) as string;

/** The node's Corrected Name / Corrected Language fields, each read once; empty ones left out. */
function correctionParameters(ctx: IExecuteFunctions, itemIndex: number): { name?: string; language?: string } {
	const name = param(ctx, 'correctedName', itemIndex);
	const language = param(ctx, 'correctedLanguage', itemIndex);
	return { ...(name ? { name } : {}), ...(language ? { language } : {}) };
}

/** Shows the last digits only: enough for the person to recognise, useless to anyone reading the execution. */
const maskNumber = (contact: string) => `••••${contact.slice(-3)}`;

async function sendCode(ctx: IExecuteFunctions, svc: PrivacyServices, itemIndex: number, request: PrivacyRequest, contact: string, code: string) {
	const template = param(ctx, 'codeTemplateName', itemIndex).trim();
	const recipient = { waId: contact };
	if (template) {
		return await sendTemplate(svc.http, svc.meta, recipient, {
			name: template,
			language: param(ctx, 'codeTemplateLanguage', itemIndex, 'en_US') || 'en_US',
			bodyParameters: [code],
			copyCode: code,
		});
	}
	const text = privacyMessage('verification_code', resolveLanguage(request.language), {
		business: svc.operator.controllerName,
		code,
		minutes: CODE_TTL_MS / 60_000,
	});
	return await sendText(svc.http, svc.meta, recipient, text);
}

async function statusReply(svc: PrivacyServices, json: IDataObject, contact: string): Promise<IDataObject> {
	const privacy = (json.privacy ?? {}) as IDataObject;
	const subject = svc.desk.subjectOf(contact);
	const wanted = typeof privacy.requestId === 'string' ? await svc.desk.get(privacy.requestId) : undefined;
	const request = wanted?.subject === subject ? wanted : (await svc.desk.history(subject))[0];
	if (!request) return { status: 'none', contact: maskNumber(contact) };
	const language = resolveLanguage(typeof privacy.language === 'string' ? privacy.language : request.language);
	const text = privacyMessage('status', language, { requestId: request.id, state: request.state, dueDate: request.dueAt.slice(0, 10) });
	const messageId = await sendText(svc.http, svc.meta, { waId: contact }, text);
	return requestOutput(request, { statusSent: messageId });
}

/**
 * The correction the person typed: on the item, or, when Detect left the value in the store (content kept by
 * reference), read again from there so it never enters the execution data.
 */
async function correctionOf(svc: PrivacyServices, json: IDataObject, type: string): Promise<IDataObject> {
	const given = ((json.privacy as IDataObject | undefined)?.correction ?? {}) as IDataObject;
	if (type !== 'correct' || given.value !== undefined || typeof json.contentRef !== 'string') return given;
	const resolved = await resolveContent(svc.desk.store, svc.desk.keys, json);
	const text = resolved?.message.text;
	const found = typeof text === 'string' ? detectPrivacyCommand(text) : undefined;
	return found?.type === 'correct' && found.correction ? (found.correction as IDataObject) : given;
}

/** The command is answered: what the person wrote, kept by reference, goes now (like the Auto-Reply's answered messages). */
async function forgetAnswered(svc: PrivacyServices, json: IDataObject): Promise<void> {
	if (typeof json.contentRef === 'string') await forgetContent(svc.desk.store, json.contentRef);
}

/** Execute: a request of a given type for a contact, from WhatsApp (identity given) or another channel (code first). */
export async function executeRequest(ctx: IExecuteFunctions, svc: PrivacyServices, itemIndex: number): Promise<INodeExecutionData> {
	const json = ctx.getInputData()[itemIndex].json;
	const privacy = (json.privacy ?? {}) as IDataObject;
	const chosen = param(ctx, 'requestType', itemIndex, 'detected');
	const type = (chosen === 'detected' ? String(privacy.type ?? '') : chosen) as RequestType | 'status';
	const contact = param(ctx, 'contact', itemIndex).replace(/[^\d]/g, '');
	if (!contact) throw new NodeOperationError(ctx.getNode(), 'No contact number: set "Contact" (the WhatsApp number, digits with country code).', { itemIndex });
	if (type === 'status') {
		const status = await statusReply(svc, json, contact);
		await forgetAnswered(svc, json);
		return { json: status, pairedItem: { item: itemIndex } };
	}
	if (!RIGHTS.includes(type)) {
		throw new NodeOperationError(ctx.getNode(), `Unknown request type "${type}". Connect the privacy output of Detect or choose a type.`, { itemIndex });
	}
	const channel = param(ctx, 'channel', itemIndex, 'whatsapp') as Channel;
	const language = (typeof privacy.language === 'string' && privacy.language) || param(ctx, 'language', itemIndex) || undefined;
	const correction = await correctionOf(svc, json, type);
	const changes = {
		...(correction.field === 'name' && typeof correction.value === 'string' ? { name: correction.value } : {}),
		...(correction.field === 'language' && typeof correction.value === 'string' ? { language: correction.value } : {}),
		...correctionParameters(ctx, itemIndex),
	};
	const actor: Channel = privacy.source === 'user_preferences' ? 'meta_preferences' : channel;
	const request = await svc.desk.open(type, actor, contact, {
		deadline: param(ctx, 'deadline', itemIndex, 'one_month') as 'one_month' | '45_days',
		language,
		fields: Object.keys(changes),
		scope: privacy.scope === 'marketing' ? 'marketing' : 'all',
	});

	if (channel === 'whatsapp') {
		const sendConfirmation = (ctx.getNodeParameter('sendConfirmation', itemIndex, true) as boolean) && privacy.source !== 'user_preferences';
		const done = await fulfil(ctx, svc, request, {
			contact,
			delivery: param(ctx, 'delivery', itemIndex, 'whatsapp') as Delivery,
			sendConfirmation,
			correction: changes,
			actor,
		});
		await forgetAnswered(svc, json);
		return { json: requestOutput(done.request, { confirmationIds: done.confirmationIds }), ...(done.binary ? { binary: { data: done.binary } } : {}), pairedItem: { item: itemIndex } };
	}

	const waiting = await svc.desk.advance(request, 'awaiting_identity', actor);
	const code = await issueCode(svc.desk, waiting.id);
	const codeMessageId = await sendCode(ctx, svc, itemIndex, waiting, contact, code);
	await svc.desk.note(waiting, 'system', 'code_sent', { expiresInMinutes: CODE_TTL_MS / 60_000 });
	return { json: requestOutput(waiting, { codeSentTo: maskNumber(contact), codeMessageId }), pairedItem: { item: itemIndex } };
}

/** Verify: the code from the form; on success the request runs to its end, on the third failure it is denied. */
export async function verifyRequest(ctx: IExecuteFunctions, svc: PrivacyServices, itemIndex: number): Promise<INodeExecutionData> {
	const requestId = param(ctx, 'requestId', itemIndex).trim();
	const contact = param(ctx, 'contact', itemIndex).replace(/[^\d]/g, '');
	const request = await svc.desk.get(requestId);
	if (!request) throw new NodeOperationError(ctx.getNode(), `No privacy request ${requestId}.`, { itemIndex });
	if (request.state !== 'awaiting_identity') return { json: requestOutput(request, { verified: false, reason: 'not_awaiting_identity' }), pairedItem: { item: itemIndex } };
	const check = await checkCode(svc.desk, requestId, param(ctx, 'code', itemIndex));
	const sameContact = contact !== '' && svc.desk.subjectOf(contact) === request.subject;
	if (check.ok && sameContact) {
		await svc.desk.note(request, 'form', 'identity_verified');
		const done = await fulfil(ctx, svc, request, {
			contact,
			delivery: param(ctx, 'delivery', itemIndex, 'both') as Delivery,
			sendConfirmation: ctx.getNodeParameter('sendConfirmation', itemIndex, true) as boolean,
			correction: correctionParameters(ctx, itemIndex),
			actor: request.channel,
		});
		return { json: requestOutput(done.request, { verified: true, confirmationIds: done.confirmationIds }), ...(done.binary ? { binary: { data: done.binary } } : {}), pairedItem: { item: itemIndex } };
	}
	if (!check.ok && check.reason === 'wrong_code') {
		await svc.desk.note(request, 'form', 'verification_failed', { attemptsLeft: check.attemptsLeft });
		return { json: requestOutput(request, { verified: false, reason: 'wrong_code', attemptsLeft: check.attemptsLeft }), pairedItem: { item: itemIndex } };
	}
	const reason = !sameContact ? 'The number does not match the request.' : check.ok ? '' : check.reason === 'expired' ? 'The verification code expired.' : 'Too many wrong verification codes.';
	const denied = await svc.desk.advance(request, 'denied', 'system', { reason: `Identity could not be verified: ${reason}` });
	return { json: requestOutput(denied, { verified: false, reason: check.ok ? 'contact_mismatch' : check.reason }), pairedItem: { item: itemIndex } };
}

export async function getStatus(ctx: IExecuteFunctions, svc: PrivacyServices, itemIndex: number): Promise<INodeExecutionData> {
	const requestId = param(ctx, 'requestId', itemIndex).trim();
	const request = await svc.desk.get(requestId);
	if (request) return { json: requestOutput(request), pairedItem: { item: itemIndex } };
	const trail = await svc.desk.store.listAudit({ requestId });
	if (trail.length === 0) throw new NodeOperationError(ctx.getNode(), `No privacy request ${requestId}.`, { itemIndex });
	const last = [...trail].reverse().find((entry) => entry.toState);
	return { json: { id: requestId, state: last?.toState ?? 'received', fromAuditLog: true, auditEntries: trail.length }, pairedItem: { item: itemIndex } };
}

export async function listOpen(ctx: IExecuteFunctions, svc: PrivacyServices): Promise<INodeExecutionData[]> {
	const withinDays = ctx.getNodeParameter('withinDays', 0, 7) as number;
	const open = await svc.desk.listOpen(withinDays > 0 ? withinDays : undefined);
	const now = Date.now();
	return open.map((request) => ({
		json: requestOutput(request, { daysLeft: Math.floor((Date.parse(request.dueAt) - now) / 86_400_000), overdue: Date.parse(request.dueAt) < now }),
		pairedItem: { item: 0 },
	}));
}

export async function extendDeadline(ctx: IExecuteFunctions, svc: PrivacyServices, itemIndex: number): Promise<INodeExecutionData> {
	const requestId = param(ctx, 'requestId', itemIndex).trim();
	const request = await svc.desk.get(requestId);
	if (!request) throw new NodeOperationError(ctx.getNode(), `No privacy request ${requestId}.`, { itemIndex });
	const months = Number(ctx.getNodeParameter('extensionMonths', itemIndex, 2)) === 1 ? 1 : 2;
	let extended: PrivacyRequest;
	try {
		extended = extend(request, months, param(ctx, 'extensionReason', itemIndex));
	} catch (error) {
		throw new NodeOperationError(ctx.getNode(), (error as Error).message, { itemIndex });
	}
	await svc.desk.save(extended);
	await svc.desk.note(extended, 'operator', 'deadline_extended', { dueAt: extended.dueAt, reason: extended.extension!.reason });
	return { json: requestOutput(extended), pairedItem: { item: itemIndex } };
}
