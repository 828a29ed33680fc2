import type { ICredentialsDecrypted, ICredentialTestFunctions, INodeCredentialTestResult } from 'n8n-workflow';

import { openStore } from '../store';
import { toContentKeys, toStoreConfig } from '../store/access';
import { GraphApiError, type HttpRequester } from '../transport/graphApi';
import { getPhoneNumber } from '../transport/account';
import { toMetaCredentials } from '../transport/metaCredentials';

/*
 * The credential tests, defined once. n8n takes the first node (in load order) that lists the credential
 * with `testedBy: '<name>'` and calls that node's `methods.credentialTest[name]`; so every node declaring
 * `testedBy` re-exports these from its own `methods/credentialTest.ts`.
 */

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
