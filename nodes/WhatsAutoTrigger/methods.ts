import type {
	ICredentialsDecrypted,
	ICredentialTestFunctions,
	ILoadOptionsFunctions,
	INodeCredentialTestResult,
	INodePropertyOptions,
} from 'n8n-workflow';

import { openStore } from '../shared/store';
import { toContentKeys, toStoreConfig } from '../shared/storeAccess';
import { GraphApiError, type HttpRequester } from '../shared/transport/graphApi';
import { getPhoneNumber } from '../shared/transport/account';
import { META_CREDENTIAL, toMetaCredentials } from '../shared/transport/metaCredentials';

function legacyRequester(ctx: ICredentialTestFunctions): HttpRequester {
	return async (options) => {
		const response = await ctx.helpers.request({
			method: options.method,
			uri: options.url,
			headers: options.headers,
			qs: options.qs,
			json: true,
			simple: false,
			resolveWithFullResponse: true,
			timeout: options.timeout,
		});
		return { statusCode: response.statusCode, headers: response.headers, body: response.body };
	};
}

export async function whatsAutoMetaApiTest(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	const creds = toMetaCredentials(credential.data ?? {});
	const missing = (['accessToken', 'appSecret', 'verifyToken', 'phoneNumberId', 'businessAccountId'] as const).filter(
		(field) => !creds[field],
	);
	if (missing.length) return { status: 'Error', message: `Fill in: ${missing.join(', ')}.` };
	try {
		const phone = await getPhoneNumber(legacyRequester(this), creds);
		const name = typeof phone.verified_name === 'string' ? ` (${phone.verified_name})` : '';
		return { status: 'OK', message: `Connected to ${String(phone.display_phone_number ?? creds.phoneNumberId)}${name}.` };
	} catch (error) {
		const message = error instanceof GraphApiError ? error.message : 'Could not reach the WhatsApp Cloud API.';
		return { status: 'Error', message };
	}
}

export async function whatsAutoStoreApiTest(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	try {
		toContentKeys(credential.data);
		const store = await openStore(toStoreConfig(credential.data));
		const version = await store.schemaVersion();
		return { status: 'OK', message: `Store ready (${store.backend}, schema version ${version}).` };
	} catch (error) {
		return { status: 'Error', message: (error as Error).message };
	}
}

export async function getVerifyToken(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	const creds = toMetaCredentials(await this.getCredentials(META_CREDENTIAL));
	if (!creds.verifyToken) return [{ name: 'The Credential Has No Verify Token Yet', value: '' }];
	return [{ name: creds.verifyToken, value: '', description: 'Paste this into Meta as the Verify token' }];
}
