import { NodeOperationError, type IHookFunctions } from 'n8n-workflow';

import { storeFor } from '../shared/store/access';
import { subscribeBusinessAccount } from '../shared/transport/account';
import { META_CREDENTIAL, toMetaCredentials } from '../shared/transport/metaCredentials';
import { toTriggerConfig } from './webhook/config';

/**
 * On activation: refuse a configuration that cannot work (so the error shows in the editor, not at the
 * first customer message), open the store (running migrations), and subscribe the business account.
 */
export async function activate(ctx: IHookFunctions): Promise<boolean> {
	const node = ctx.getNode();
	const creds = toMetaCredentials(await ctx.getCredentials(META_CREDENTIAL));
	if (!creds.appSecret || !creds.verifyToken || !creds.phoneNumberId) {
		throw new NodeOperationError(node, 'The WhatsApp Cloud API credential needs an App Secret, a Verify Token and a Phone Number ID.');
	}
	const config = toTriggerConfig({
		messageTypes: ctx.getNodeParameter('messageTypes', ['all']) as string[],
		events: ctx.getNodeParameter('events', []) as string[],
		options: ctx.getNodeParameter('options', {}) as object,
	} as never);
	try {
		const { keys } = await storeFor(ctx);
		if (config.contentByReference && !keys) {
			throw new NodeOperationError(node, 'Content by Reference needs a WhatsAuto: Store API credential (its Secret Key encrypts the content).');
		}
	} catch (error) {
		if (error instanceof NodeOperationError) throw error;
		throw new NodeOperationError(node, `The WhatsAuto store could not be opened: ${(error as Error).message}`);
	}
	if (config.subscribeOnActivation && creds.businessAccountId) {
		try {
			await subscribeBusinessAccount(async (options) => await ctx.helpers.httpRequest(options), creds);
		} catch (error) {
			ctx.logger.warn(
				`WhatsAuto Trigger could not subscribe WhatsApp Business Account ${creds.businessAccountId} to the app: ${(error as Error).message}`,
			);
		}
	}
	return true;
}
