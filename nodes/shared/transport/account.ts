import type { IDataObject } from 'n8n-workflow';

import { graphRequest, NO_RETRY, type HttpRequester } from './graphApi';
import type { MetaCredentials } from './metaCredentials';

/** `POST /{WABA}/subscribed_apps`: without it a production number's messages never reach the app. */
export async function subscribeBusinessAccount(http: HttpRequester, creds: MetaCredentials): Promise<void> {
	await graphRequest(http, creds, { method: 'POST', path: `/${encodeURIComponent(creds.businessAccountId)}/subscribed_apps` });
}

/** `GET /{phone-number-id}`: proves token, version and id together (the credential test). */
export async function getPhoneNumber(http: HttpRequester, creds: MetaCredentials): Promise<IDataObject> {
	const { body } = await graphRequest<IDataObject>(
		http,
		creds,
		{ method: 'GET', path: `/${encodeURIComponent(creds.phoneNumberId)}`, timeoutMs: 15_000 },
		NO_RETRY,
	);
	return body;
}
