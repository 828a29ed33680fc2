import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import type { PrivacyServices } from '../../../shared/privacy/fulfil';
import { checkCode } from '../../../shared/privacy/identity';
import {
	contactField,
	contactParameter,
	correctedLanguageField,
	correctedNameField,
	correctionParameters,
	deliveryField,
	deliveryParameter,
	forOperation,
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
]);

/** Verify: the code from the form; on success the request runs to its end, on the third failure it is denied. */
export async function execute(ctx: IExecuteFunctions, svc: PrivacyServices, itemIndex: number): Promise<INodeExecutionData> {
	const requestId = requestIdParameter(ctx, itemIndex);
	const contact = contactParameter(ctx, itemIndex);
	const request = await requestOf(ctx, svc, requestId, itemIndex);
	if (request.state !== 'awaiting_identity') return { json: requestOutput(request, { verified: false, reason: 'not_awaiting_identity' }), pairedItem: { item: itemIndex } };
	const check = await checkCode(svc.desk, requestId, param(ctx, 'code', itemIndex));
	const sameContact = contact !== '' && svc.desk.subjectOf(contact) === request.subject;
	if (check.ok && sameContact) {
		await svc.desk.note(request, 'form', 'identity_verified');
		return await fulfilledItem(
			ctx,
			svc,
			request,
			{
				contact,
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
	const reason = !sameContact ? 'The number does not match the request.' : check.ok ? '' : check.reason === 'expired' ? 'The verification code expired.' : 'Too many wrong verification codes.';
	const denied = await svc.desk.advance(request, 'denied', 'system', { reason: `Identity could not be verified: ${reason}` });
	return { json: requestOutput(denied, { verified: false, reason: check.ok ? 'contact_mismatch' : check.reason }), pairedItem: { item: itemIndex } };
}
