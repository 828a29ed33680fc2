import { NodeOperationError, type IDataObject, type IExecuteFunctions } from 'n8n-workflow';

import { cachedCredentials } from '../../shared/credentialCache';
import { PrivacyDesk } from '../../shared/privacy/desk';
import type { OperatorInfo } from '../../shared/privacy/disclosure';
import { storeFor } from '../../shared/storeAccess';
import type { HttpRequester } from '../../shared/transport/graphApi';
import { META_CREDENTIAL, toMetaCredentials, type MetaCredentials } from '../../shared/transport/metaCredentials';

export interface PrivacyServices {
	desk: PrivacyDesk;
	http: HttpRequester;
	meta: MetaCredentials;
	operator: OperatorInfo;
}

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
