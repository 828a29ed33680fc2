import type { ILoadOptionsFunctions, INodePropertyOptions } from 'n8n-workflow';

import { META_CREDENTIAL, toMetaCredentials } from '../../shared/transport/metaCredentials';

export async function getVerifyToken(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	const creds = toMetaCredentials(await this.getCredentials(META_CREDENTIAL));
	if (!creds.verifyToken) return [{ name: 'The Credential Has No Verify Token Yet', value: '' }];
	return [{ name: creds.verifyToken, value: '', description: 'Paste this into Meta as the Verify token' }];
}
