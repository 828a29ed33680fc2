import type { IAuthenticateGeneric, Icon, ICredentialTestRequest, ICredentialType, INodeProperties } from 'n8n-workflow';

export class WhatsAutoOpenAiApi implements ICredentialType {
	name = 'whatsAutoOpenAiApi';

	displayName = 'WhatsAuto: OpenAI API';

	icon: Icon = 'file:whatsauto.svg';

	documentationUrl = 'https://platform.openai.com/docs/api-reference/authentication';

	properties: INodeProperties[] = [
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
		},
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: 'https://api.openai.com/v1',
			description: 'Any OpenAI-compatible server works (Azure OpenAI proxies, gateways, local test servers)',
		},
		{
			displayName: 'Organization ID',
			name: 'organizationId',
			type: 'string',
			default: '',
			description: 'Only needed when the key belongs to several organizations',
		},
	];

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: {
			headers: {
				Authorization: '=Bearer {{$credentials.apiKey}}',
			},
		},
	};

	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{$credentials.baseUrl.replace(/\\/+$/, "")}}',
			url: '/models',
		},
		rules: [
			{
				type: 'responseCode',
				properties: { value: 401, message: 'OpenAI rejected the API key. Create a new key at platform.openai.com › API keys.' },
			},
			{
				type: 'responseCode',
				properties: {
					value: 403,
					message: 'The key may not list models: check the project’s permissions or the Organization ID.',
				},
			},
		],
	};
}
