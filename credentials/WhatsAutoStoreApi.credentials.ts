import type { Icon, ICredentialType, INodeProperties } from 'n8n-workflow';

export class WhatsAutoStoreApi implements ICredentialType {
	name = 'whatsAutoStoreApi';

	displayName = 'WhatsAuto: Store API';

	icon: Icon = 'file:whatsauto.svg';

	documentationUrl = 'https://github.com/whatsauto/n8n-nodes-whatsauto#the-store';

	properties: INodeProperties[] = [
		{
			displayName: 'Backend',
			name: 'backend',
			type: 'options',
			options: [
				{
					name: 'SQLite (One n8n Instance)',
					value: 'sqlite',
					description: 'A file next to n8n’s own data; nothing to set up',
				},
				{
					name: 'PostgreSQL (Queue Mode, Several Workers)',
					value: 'postgres',
					description: 'Shared by every n8n main, webhook and worker process',
				},
			],
			default: 'sqlite',
		},
		{
			displayName: 'SQLite File',
			name: 'sqlitePath',
			type: 'string',
			default: '',
			placeholder: '/home/node/.n8n/whatsauto.sqlite',
			description: 'Leave empty for whatsauto.sqlite in the n8n user folder',
			displayOptions: { show: { backend: ['sqlite'] } },
		},
		{
			displayName: 'Host',
			name: 'host',
			type: 'string',
			default: 'localhost',
			displayOptions: { show: { backend: ['postgres'] } },
		},
		{
			displayName: 'Port',
			name: 'port',
			type: 'number',
			default: 5432,
			displayOptions: { show: { backend: ['postgres'] } },
		},
		{
			displayName: 'Database',
			name: 'database',
			type: 'string',
			default: 'n8n',
			displayOptions: { show: { backend: ['postgres'] } },
		},
		{
			displayName: 'User',
			name: 'user',
			type: 'string',
			default: 'n8n',
			displayOptions: { show: { backend: ['postgres'] } },
		},
		{
			displayName: 'Password',
			name: 'password',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			displayOptions: { show: { backend: ['postgres'] } },
		},
		{
			displayName: 'SSL',
			name: 'ssl',
			type: 'boolean',
			default: false,
			displayOptions: { show: { backend: ['postgres'] } },
		},
		{
			displayName: 'Schema',
			name: 'schema',
			type: 'string',
			default: 'whatsauto',
			description: 'Created if missing, so WhatsAuto’s tables never mix with n8n’s own',
			displayOptions: { show: { backend: ['postgres'] } },
		},
		{
			displayName: 'Secret Key',
			name: 'secretKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description:
				'At least 32 random characters (e.g. openssl rand -hex 32). Encrypts message content kept by reference and keys phone numbers as HMACs. It lives only in this credential, never in the database: losing it makes stored content unreadable.',
		},
	];
}
