import type {
	ICredentialDataDecryptedObject,
	Icon,
	ICredentialType,
	IHttpRequestOptions,
	INodeProperties,
} from 'n8n-workflow';

import { metaAuthHeaders, toMetaCredentials } from '../nodes/shared/transport/metaCredentials';

export class WhatsAutoMetaApi implements ICredentialType {
	name = 'whatsAutoMetaApi';

	displayName = 'WhatsAuto: WhatsApp Cloud API';

	icon: Icon = 'file:whatsauto.svg';

	documentationUrl = 'https://developers.facebook.com/docs/whatsapp/cloud-api/get-started';

	properties: INodeProperties[] = [
		{
			displayName: 'Access Token',
			name: 'accessToken',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description:
				'A permanent System User token with the whatsapp_business_messaging and whatsapp_business_management permissions',
		},
		{
			displayName: 'App Secret',
			name: 'appSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description:
				'Meta App Dashboard › App settings › Basic › App secret. Every webhook delivery is checked against it.',
		},
		{
			displayName: 'Verify Token',
			name: 'verifyToken',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description:
				'Any string you choose. Paste the same value into Meta App Dashboard › WhatsApp › Configuration › Verify token.',
		},
		{
			displayName: 'Phone Number ID',
			name: 'phoneNumberId',
			type: 'string',
			default: '',
			required: true,
			description: 'WhatsApp Manager › API Setup › Phone number ID (not the phone number itself)',
		},
		{
			displayName: 'WhatsApp Business Account ID',
			name: 'businessAccountId',
			type: 'string',
			default: '',
			required: true,
			description: 'WhatsApp Manager › API Setup › WhatsApp Business Account ID',
		},
		{
			displayName: 'Graph API Version',
			name: 'graphApiVersion',
			type: 'string',
			default: 'v23.0',
			description: 'Graph API version, e.g. v23.0. Supported until October 2027.',
		},
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: 'https://graph.facebook.com',
			description: 'Change only to go through a proxy or a local test server',
		},
	];

	/** The same header WhatsAuto's Graph API transport sends (one builder: `metaAuthHeaders`). */
	async authenticate(credentials: ICredentialDataDecryptedObject, requestOptions: IHttpRequestOptions): Promise<IHttpRequestOptions> {
		return { ...requestOptions, headers: { ...requestOptions.headers, ...metaAuthHeaders(toMetaCredentials(credentials)) } };
	}
}
