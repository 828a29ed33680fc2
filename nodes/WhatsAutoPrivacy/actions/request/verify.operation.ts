import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { UNVERIFIED_REASON } from '../../../shared/privacy/desk';
import type { PrivacyServices } from '../../../shared/privacy/fulfil';
import { personOf } from '../../../shared/store/people';
import { checkCode, discardCode } from '../../../shared/privacy/identity';
import { takeGuess } from '../../../shared/privacy/limits';
import {
	contactField,
	contactParameter,
	correctedLanguageField,
	correctedNameField,
	correctionParameters,
	deliveryField,
	deliveryParameter,
	forOperation,
	guessLimitsField,
	limitsParameter,
	param,
	requestIdField,
	requestIdParameter,
	sendConfirmationField,
	sendConfirmationParameter,
} from '../fields';
import { fulfilledItem, requestOf, requestOutput } from '../output';

export const description: INodeProperties[] = forOperation('verify', [
	contactField,
	requestIdField,
	{
		displayName: 'Code',
		name: 'code',
		type: 'string',
		typeOptions: { password: true },
		default: '={{ $json.code }}',
	},
	correctedNameField,
	correctedLanguageField,
	deliveryField,
	sendConfirmationField,
	guessLimitsField,
]);

/** Why a verification ended without running the request, as the request's denial states it. */
const DENIAL: Record<string, string> = {
	contact_mismatch: 'The number does not match the request.',
	expired: 'The verification code expired.',
	too_many_attempts: 'Too many wrong verification codes.',
	rate_limited: 'Too many wrong verification codes for this number today.',
};

/**
 * Verify: the code from the form; on success the request runs to its end, on the third failure it is denied.
 * Without a code (the form's code page timed out) the request is closed: denied. A number whose wrong codes for
 * the day are used up gets no comparison at all: denied, `rate_limited`.
 */
export async function execute(ctx: IExecuteFunctions, svc: PrivacyServices, itemIndex: number): Promise<INodeExecutionData> {
	const requestId = requestIdParameter(ctx, itemIndex);
	const contact = contactParameter(ctx, itemIndex);
	const request = await requestOf(ctx, svc, requestId, itemIndex);
	if (request.state !== 'awaiting_identity') return { json: requestOutput(request, { verified: false, reason: 'not_awaiting_identity' }), pairedItem: { item: itemIndex } };
	const code = String(param(ctx, 'code', itemIndex) ?? '').trim();
	if (code === '') {
		await discardCode(svc.desk, requestId);
		// the same reason as the desk's expiry of a request nobody verified
		const closed = await svc.desk.advance(request, 'denied', 'system', { reason: UNVERIFIED_REASON });
		return { json: requestOutput(closed, { verified: false, reason: 'no_code' }), pairedItem: { item: itemIndex } };
	}
	const limits = limitsParameter(ctx, itemIndex);
	const check = await checkCode(svc.desk, requestId, code, async () => await takeGuess(svc.desk, request.subject, limits));
	const person = contact === '' ? undefined : await personOf(svc.desk.store, svc.desk.keys, contact);
	const sameContact = person !== undefined && person.subject === request.subject;
	if (check.ok && person && sameContact) {
		await svc.desk.note(request, 'form', 'identity_verified');
		return await fulfilledItem(
			ctx,
			svc,
			request,
			{
				person,
				delivery: deliveryParameter(ctx, itemIndex, 'both'),
				sendConfirmation: sendConfirmationParameter(ctx, itemIndex),
				correction: correctionParameters(ctx, itemIndex),
				actor: request.channel,
			},
			{ verified: true },
			itemIndex,
		);
	}
	if (!check.ok && check.reason === 'wrong_code') {
		await svc.desk.note(request, 'form', 'verification_failed', { attemptsLeft: check.attemptsLeft });
		return { json: requestOutput(request, { verified: false, reason: 'wrong_code', attemptsLeft: check.attemptsLeft }), pairedItem: { item: itemIndex } };
	}
	const why = check.ok ? 'contact_mismatch' : check.reason;
	const reason = DENIAL[sameContact ? why : 'contact_mismatch'];
	const denied = await svc.desk.advance(request, 'denied', 'system', { reason: `Identity could not be verified: ${reason}` });
	return { json: requestOutput(denied, { verified: false, reason: why }), pairedItem: { item: itemIndex } };
}
