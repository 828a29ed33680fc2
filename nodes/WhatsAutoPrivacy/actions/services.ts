import { NodeOperationError, type IDataObject, type IExecuteFunctions } from 'n8n-workflow';

import { cachedCredentials } from '../../shared/credentialCache';
import { PrivacyDesk } from '../../shared/privacy/desk';
import type { PrivacyServices } from '../../shared/privacy/fulfil';
import { storeFor } from '../../shared/store/access';
import { META_CREDENTIAL, toMetaCredentials } from '../../shared/transport/metaCredentials';

/** The services a request runs on, from the node's credentials and its Operator field. */
export async function privacyServices(ctx: IExecuteFunctions): Promise<PrivacyServices> {
	const access = await storeFor(ctx);
	if (!access.keys) {
		throw new NodeOperationError(
			ctx.getNode(),
			'The Privacy Request node needs a WhatsAuto: Store API credential with a Secret Key (it pseudonymises phone numbers). Use the same one on the Trigger and Auto-Reply nodes.',
		);
	}
	const operator = ctx.getNodeParameter('operator', 0, {}) as IDataObject;
	return {
		desk: new PrivacyDesk(access.store, access.keys),
		http: async (options) => await ctx.helpers.httpRequest(options),
		meta: toMetaCredentials(await cachedCredentials(ctx, META_CREDENTIAL)),
		operator: {
			controllerName: String(operator.controllerName ?? '') || 'the business',
			contact: String(operator.contact ?? ''),
			supervisoryAuthority: String(operator.supervisoryAuthority ?? '') || undefined,
		},
	};
}
