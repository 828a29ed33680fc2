import { NodeOperationError, type IDataObject, type IExecuteFunctions, type INodeExecutionData, type INodeProperties } from 'n8n-workflow';

import { forgetContent, resolveContent } from '../../../shared/store/contentByReference';
import { detectPrivacyCommand } from '../../../shared/privacy/commandDetection';
import { answerErasure, askToConfirmErasure, expireUnanswered, type ErasureAnswer } from '../../../shared/privacy/confirmation';
import type { PrivacyServices } from '../../../shared/privacy/fulfil';
import { CODE_TTL_MS, issueCode } from '../../../shared/privacy/identity';
import { reserveCode } from '../../../shared/privacy/limits';
import type { Channel, PrivacyRequest, RequestType } from '../../../shared/privacy/lifecycle';
import { privacyMessage, resolveLanguage } from '../../../shared/privacy/messages';
import { contactRef, isMessageRef, maskContact, messageRef, pseudonymOfRef } from '../../../shared/contact';
import { personOf, reachable, type Person } from '../../../shared/store/people';
import { GraphApiError } from '../../../shared/transport/graphApi';
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

export const NO_CONTACT =
	'No contact: set "Contact" to the WhatsApp number (with country code), the business-scoped user ID (e.g. US.13491208655302741918) or the contactKey of a WhatsAuto Trigger item (wa:…).';

/** Shows the last digits only: enough for the person to recognise, useless to anyone reading the execution. */
const maskNumber = (contact: string) => maskContact(contact);

/**
 * The code, in the authentication template when one is named; as a plain message otherwise, and when Meta takes no
 * authentication template for a business-scoped user id (131062: those templates need a phone number).
 */
async function sendCode(ctx: IExecuteFunctions, svc: PrivacyServices, itemIndex: number, request: PrivacyRequest, person: Person, code: string) {
	const template = param(ctx, 'codeTemplateName', itemIndex).trim();
	const { recipient } = person;
	const text = () =>
		privacyMessage('verification_code', resolveLanguage(request.language), {
			business: svc.operator.controllerName,
			code,
			minutes: CODE_TTL_MS / 60_000,
		});
	if (template) {
		try {
			return await sendTemplate(svc.http, svc.meta, recipient, {
				name: template,
				language: param(ctx, 'codeTemplateLanguage', itemIndex, 'en_US') || 'en_US',
				bodyParameters: [code],
				copyCode: code,
			});
		} catch (error) {
			if (!(error instanceof GraphApiError && error.code === BSUID_NOT_SUPPORTED)) throw error;
		}
	}
	return await sendText(svc.http, svc.meta, recipient, text());
}

/** Meta's "BSUID recipients are not supported for this message" (e.g. authentication templates). */
const BSUID_NOT_SUPPORTED = 131062;

async function statusReply(svc: PrivacyServices, json: IDataObject, contact: string, person: Person): Promise<IDataObject> {
	const privacy = (json.privacy ?? {}) as IDataObject;
	const { subject } = person;
	const wanted = typeof privacy.requestId === 'string' ? await svc.desk.get(privacy.requestId) : undefined;
	const request = wanted?.subject === subject ? wanted : (await svc.desk.history(subject))[0];
	if (!request) return { status: 'none', contact: maskNumber(contact) };
	const language = resolveLanguage(typeof privacy.language === 'string' ? privacy.language : request.language);
	const text = privacyMessage('status', language, { requestId: request.id, state: request.state, dueDate: request.dueAt.slice(0, 10) });
	// A contact reference whose number the store no longer keeps: the status is output, not sent.
	if (!reachable(person.recipient)) return requestOutput(request, { statusSent: false, reason: 'contact_unknown' });
	const messageId = await sendText(svc.http, svc.meta, person.recipient, text);
	return requestOutput(request, { statusSent: shownId(json, svc, messageId) });
}

/** A Meta message id as the output shows it: a keyed reference when the item's ids are pseudonymous (content by reference). */
function shownId(json: IDataObject, svc: PrivacyServices, messageId: string): string {
	return pseudonymOfRef(json.contactKey) || isMessageRef(json.messageId) ? messageRef(svc.desk.keys.pseudonymise, messageId) : messageId;
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
async function erasureAnswer(ctx: IExecuteFunctions, svc: PrivacyServices, itemIndex: number, json: IDataObject, person: Person): Promise<INodeExecutionData> {
	const privacy = json.privacy as IDataObject;
	const answer: ErasureAnswer = privacy.confirmation === 'confirm' ? 'confirm' : 'cancel';
	const requestId = String(privacy.requestId ?? '');
	const outcome = await answerErasure(svc, requestId, person, answer);
	await forgetAnswered(svc, json);
	const pairedItem = { item: itemIndex };
	switch (outcome.kind) {
		case 'confirmed':
			return await fulfilledItem(
				ctx,
				svc,
				outcome.request,
				{ person, delivery: 'whatsapp', sendConfirmation: sendConfirmationParameter(ctx, itemIndex), correction: {}, actor: outcome.request.channel },
				{ confirmed: true },
				itemIndex,
				(id) => shownId(json, svc, id),
			);
		case 'cancelled':
		case 'expired':
			return { json: requestOutput(outcome.request, { confirmed: false, confirmationIds: outcome.messageIds.map((id) => shownId(json, svc, id)) }), pairedItem };
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
	const person = await personOf(svc.desk.store, svc.desk.keys, contact);
	if (!person) throw new NodeOperationError(ctx.getNode(), NO_CONTACT, { itemIndex });
	if (typeof privacy.confirmation === 'string') return await erasureAnswer(ctx, svc, itemIndex, json, person);
	if (type === 'status') {
		const status = await statusReply(svc, json, contact, person);
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
	if (channel !== 'whatsapp' && !(await reserveCode(svc.desk, person.subject, param(ctx, 'clientKey', itemIndex).trim(), limitsParameter(ctx, itemIndex)))) {
		return { json: rateLimited(type, channel), pairedItem: { item: itemIndex } };
	}
	if (channel === 'whatsapp' && type === 'delete') await expireUnanswered(svc.desk, person.subject);
	// Opened for the person's canonical key (a user id of someone known by number names that number's key).
	const request = await svc.desk.open(type, actor, contactRef(person.subject), {
		deadline: param(ctx, 'deadline', itemIndex, 'one_month') as 'one_month' | '45_days',
		language,
		fields: Object.keys(changes),
		scope: privacy.scope === 'marketing' ? 'marketing' : 'all',
	});

	if (channel === 'whatsapp' && type === 'delete') {
		// An erasure cannot be undone: it runs once the person taps "Delete all my data" (erasureAnswer).
		const asked = await askToConfirmErasure(svc, request, person);
		await forgetAnswered(svc, json);
		return { json: requestOutput(asked.request, asked.messageId ? { confirmationMessageId: shownId(json, svc, asked.messageId) } : {}), pairedItem: { item: itemIndex } };
	}

	if (channel === 'whatsapp') {
		const sendConfirmation = sendConfirmationParameter(ctx, itemIndex) && privacy.source !== 'user_preferences';
		const item = await fulfilledItem(
			ctx,
			svc,
			request,
			{ person, delivery: deliveryParameter(ctx, itemIndex, 'whatsapp'), sendConfirmation, correction: changes, actor },
			{},
			itemIndex,
			(id) => shownId(json, svc, id),
		);
		await forgetAnswered(svc, json);
		return item;
	}

	const waiting = await svc.desk.advance(request, 'awaiting_identity', actor);
	const code = await issueCode(svc.desk, waiting.id);
	const codeMessageId = await sendCode(ctx, svc, itemIndex, waiting, person, code);
	await svc.desk.note(waiting, 'system', 'code_sent', { expiresInMinutes: CODE_TTL_MS / 60_000 });
	return { json: requestOutput(waiting, { codeSent: true, codeSentTo: maskNumber(contact), codeMessageId }), pairedItem: { item: itemIndex } };
}
