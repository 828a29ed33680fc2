import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

import { trimmedOr } from '../coerce';

export const META_CREDENTIAL = 'whatsAutoMetaApi';

export interface MetaCredentials {
	accessToken: string;
	appSecret: string;
	verifyToken: string;
	phoneNumberId: string;
	businessAccountId: string;
	graphApiVersion: string;
	baseUrl: string;
}

/** A credential field as trimmed text; a number typed into one counts as its digits. */
const text = (value: unknown): string => trimmedOr(value == null ? '' : String(value));

/** Normalises the decrypted credential; tolerant of a missing `v`, trailing slashes and spaces pasted by hand. */
export function toMetaCredentials(raw: ICredentialDataDecryptedObject): MetaCredentials {
	const version = text(raw.graphApiVersion) || 'v23.0';
	return {
		accessToken: text(raw.accessToken),
		appSecret: text(raw.appSecret),
		verifyToken: text(raw.verifyToken),
		phoneNumberId: text(raw.phoneNumberId),
		businessAccountId: text(raw.businessAccountId),
		graphApiVersion: version.startsWith('v') ? version : `v${version}`,
		baseUrl: (text(raw.baseUrl) || 'https://graph.facebook.com').replace(/\/+$/, ''),
	};
}

/**
 * The one source of the Graph API `Authorization` header: the transport sends it on every call (media
 * download URLs included, from a cached credential), and the credential's `authenticate` applies it for
 * n8n's own requests (e.g. the HTTP Request node with this credential as a predefined type).
 */
export function metaAuthHeaders(creds: Pick<MetaCredentials, 'accessToken'>): { Authorization: string } {
	return { Authorization: `Bearer ${creds.accessToken}` };
}
