import { NodeOperationError, type IDataObject, type IExecuteFunctions, type INodeExecutionData, type INodeProperties } from 'n8n-workflow';

import { forgetContent, resolveContent } from '../../../shared/store/contentByReference';
import { detectPrivacyCommand } from '../../../shared/privacy/commandDetection';
import { answerErasure, askToConfirmErasure, expireUnanswered, type ErasureAnswer } from '../../../shared/privacy/confirmation';
import type { PrivacyServices } from '../../../shared/privacy/fulfil';
import { CODE_TTL_MS, issueCode } from '../../../shared/privacy/identity';
import { reserveCode } from '../../../shared/privacy/limits';
import type { Channel, PrivacyRequest, RequestType } from '../../../shared/privacy/lifecycle';
import { privacyMessage, resolveLanguage } from '../../../shared/privacy/messages';
import { sendTemplate, sendText } from '../../../shared/transport/messages';
import {
	clientKeyField,
	codeLimitsField,
	contactField,
	contactParameter,
	correctedLanguageField,
	correctedNameField,
	correctionParameters,
	deliveryField,
	deliveryParameter,
	forOperation,
	limitsParameter,
	param,
	sendConfirmationField,
	sendConfirmationParameter,
} from '../fields';
import { fulfilledItem, requestOutput } from '../output';

const OUTSIDE_WHATSAPP = { show: { channel: ['form', 'email'] } };

export const description: INodeProperties[] = forOperation('execute', [
	{
		displayName: 'Request Type',
		name: 'requestType',
		type: 'options',
		options: [
			{ name: 'Access (Export)', value: 'access' },
			{ name: 'As Detected', value: 'detected', description: 'Use the type the Detect operation found' },
			{ name: 'Correct', value: 'correct' },
			{ name: 'Delete', value: 'delete' },
			{ name: 'Object (STOP)', value: 'object' },
			{ name: 'Resume (START)', value: 'resume' },
		],
		default: 'detected',
	},
	{
		displayName: 'Channel',
		name: 'channel',
		type: 'options',
		options: [
			{ name: 'WhatsApp', value: 'whatsapp', description: 'The sender is authenticated by Meta: the request concerns their own data' },
			{ name: 'Web Form', value: 'form', description: 'A 6-digit code goes to the number over WhatsApp first' },
			{ name: 'E-Mail', value: 'email', description: 'A 6-digit code goes to the number over WhatsApp first' },
		],
		default: 'whatsapp',
	},
	contactField,
	correctedNameField,
	correctedLanguageField,
	deliveryField,
	sendConfirmationField,
	{
		displayName: 'Language',
		name: 'language',
		type: 'options',
		options: [
			{ name: 'Arabic', value: 'ar' },
			{ name: 'Bengali', value: 'bn' },
			{ name: 'Detected', value: '' },
			{ name: 'English', value: 'en' },
			{ name: 'Hindi', value: 'hi' },
			{ name: 'Indonesian', value: 'id' },
			{ name: 'Portuguese', value: 'pt' },
			{ name: 'Spanish', value: 'es' },
		],
		default: '',
		description: 'Language of the confirmations; Detected uses the language of the command',
	},
	{
		displayName: 'Deadline',
		name: 'deadline',
		type: 'options',
		options: [
			{ name: 'One Month (GDPR Art. 12)', value: 'one_month' },
			{ name: '45 Days (CCPA)', value: '45_days' },
		],
		default: 'one_month',
	},
	{
		displayName: 'Code Template Name',
		name: 'codeTemplateName',
		type: 'string',
		default: '',
		placeholder: 'e.g. verification_code',
		description:
			'Approved authentication template with the code as its only body parameter. Needed when the person has not written in the last 24 hours; empty sends a plain message.',
		displayOptions: { show: { channel: ['form', 'email'] } },
	},
	{
		displayName: 'Code Template Language',
		name: 'codeTemplateLanguage',
		type: 'string',
		default: 'en_US',
		displayOptions: { show: { channel: ['form', 'email'] } },
	},
	{ ...clientKeyField, displayOptions: OUTSIDE_WHATSAPP },
	{ ...codeLimitsField, displayOptions: OUTSIDE_WHATSAPP },
]);

const RIGHTS: readonly RequestType[] = ['access', 'correct', 'delete', 'object', 'resume'];

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

/**
 * The person's tap on "Delete all my data" or "Cancel" under an erasure question (Detect found the button's
 * id): the erasure runs, or the request is denied; a tap from another number, or on a request no longer
 * waiting, does nothing.
 */
async function erasureAnswer(ctx: IExecuteFunctions, svc: PrivacyServices, itemIndex: number, json: IDataObject, contact: string): Promise<INodeExecutionData> {
	const privacy = json.privacy as IDataObject;
	const answer: ErasureAnswer = privacy.confirmation === 'confirm' ? 'confirm' : 'cancel';
	const requestId = String(privacy.requestId ?? '');
	const outcome = await answerErasure(svc, requestId, contact, answer);
	await forgetAnswered(svc, json);
	const pairedItem = { item: itemIndex };
	switch (outcome.kind) {
		case 'confirmed':
			return await fulfilledItem(
				ctx,
				svc,
				outcome.request,
				{ contact, delivery: 'whatsapp', sendConfirmation: sendConfirmationParameter(ctx, itemIndex), correction: {}, actor: outcome.request.channel },
				{ confirmed: true },
				itemIndex,
			);
		case 'cancelled':
		case 'expired':
			return { json: requestOutput(outcome.request, { confirmed: false, confirmationIds: outcome.messageIds }), pairedItem };
		case 'unknown_request':
			return { json: { id: requestId, confirmed: false, reason: outcome.kind }, pairedItem };
		default:
			return { json: requestOutput(outcome.request, { confirmed: false, reason: outcome.kind }), pairedItem };
	}
}

/** What a request outside WhatsApp answers when a limit is reached: the same for every number, known or not. */
const rateLimited = (type: RequestType, channel: Channel): IDataObject => ({ type, channel, codeSent: false, reason: 'rate_limited' });

/** Execute: a request of a given type for a contact, from WhatsApp (identity given) or another channel (code first). */
export async function execute(ctx: IExecuteFunctions, svc: PrivacyServices, itemIndex: number): Promise<INodeExecutionData> {
	const json = ctx.getInputData()[itemIndex].json;
	const privacy = (json.privacy ?? {}) as IDataObject;
	const chosen = param(ctx, 'requestType', itemIndex, 'detected');
	const type = (chosen === 'detected' ? String(privacy.type ?? '') : chosen) as RequestType | 'status';
	const contact = contactParameter(ctx, itemIndex);
	if (!contact) throw new NodeOperationError(ctx.getNode(), 'No contact number: set "Contact" (the WhatsApp number, digits with country code).', { itemIndex });
	if (typeof privacy.confirmation === 'string') return await erasureAnswer(ctx, svc, itemIndex, json, contact);
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
	// Outside WhatsApp a code goes to the number first: not when its limits (or the client's) are reached.
	if (channel !== 'whatsapp' && !(await reserveCode(svc.desk, svc.desk.subjectOf(contact), param(ctx, 'clientKey', itemIndex).trim(), limitsParameter(ctx, itemIndex)))) {
		return { json: rateLimited(type, channel), pairedItem: { item: itemIndex } };
	}
	if (channel === 'whatsapp' && type === 'delete') await expireUnanswered(svc.desk, svc.desk.subjectOf(contact));
	const request = await svc.desk.open(type, actor, contact, {
		deadline: param(ctx, 'deadline', itemIndex, 'one_month') as 'one_month' | '45_days',
		language,
		fields: Object.keys(changes),
		scope: privacy.scope === 'marketing' ? 'marketing' : 'all',
	});

	if (channel === 'whatsapp' && type === 'delete') {
		// An erasure cannot be undone: it runs once the person taps "Delete all my data" (erasureAnswer).
		const asked = await askToConfirmErasure(svc, request, contact);
		await forgetAnswered(svc, json);
		return { json: requestOutput(asked.request, asked.messageId ? { confirmationMessageId: asked.messageId } : {}), pairedItem: { item: itemIndex } };
	}

	if (channel === 'whatsapp') {
		const sendConfirmation = sendConfirmationParameter(ctx, itemIndex) && privacy.source !== 'user_preferences';
		const item = await fulfilledItem(
			ctx,
			svc,
			request,
			{ contact, delivery: deliveryParameter(ctx, itemIndex, 'whatsapp'), sendConfirmation, correction: changes, actor },
			{},
			itemIndex,
		);
		await forgetAnswered(svc, json);
		return item;
	}

	const waiting = await svc.desk.advance(request, 'awaiting_identity', actor);
	const code = await issueCode(svc.desk, waiting.id);
	const codeMessageId = await sendCode(ctx, svc, itemIndex, waiting, contact, code);
	await svc.desk.note(waiting, 'system', 'code_sent', { expiresInMinutes: CODE_TTL_MS / 60_000 });
	return { json: requestOutput(waiting, { codeSent: true, codeSentTo: maskNumber(contact), codeMessageId }), pairedItem: { item: itemIndex } };
}
