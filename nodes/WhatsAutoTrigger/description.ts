import type { INodeProperties } from 'n8n-workflow';

import { DEFAULT_CONTENT_TTL_MINUTES } from '../shared/store/scopes';
import { GATE_CAP_SECONDS, GATE_DEBOUNCE_SECONDS, GATE_INBOX_LIMIT, GATE_MAX_AGE_MINUTES, GATE_MIN_MAX_AGE_MINUTES } from './gate/settings';

export const MESSAGE_TYPES = [
	'text',
	'image',
	'video',
	'audio',
	'document',
	'sticker',
	'location',
	'contacts',
	'interactive',
	'button',
	'reaction',
	'order',
	'system',
	'request_welcome',
	'revoke',
	'unsupported',
] as const;

const typeLabel = (type: string): string =>
	type
		.split('_')
		.map((word) => word[0].toUpperCase() + word.slice(1))
		.join(' ');

export const triggerProperties: INodeProperties[] = [
	{
		displayName:
			'In Meta App Dashboard › WhatsApp › Configuration, set the Callback URL to this node’s Production URL (above) and the Verify Token to the one in your credential, then subscribe to the "messages" field.',
		name: 'setupNotice',
		type: 'notice',
		default: '',
	},
	// A read-only display of the credential's token, not a choice: the dynamic-options naming rules do not fit it.
	{
		// eslint-disable-next-line n8n-nodes-base/node-param-display-name-wrong-for-dynamic-options
		displayName: 'Verify Token to Paste Into Meta',
		name: 'verifyTokenHint',
		type: 'options',
		typeOptions: { loadOptionsMethod: 'getVerifyToken' },
		default: '',
		// eslint-disable-next-line n8n-nodes-base/node-param-description-wrong-for-dynamic-options
		description:
			'Shows the verify token of the selected credential so you can copy it into Meta. Selecting it changes nothing.',
	},
	{
		displayName: 'Message Types',
		name: 'messageTypes',
		type: 'multiOptions',
		options: [
			{ name: 'All', value: 'all' },
			...MESSAGE_TYPES.map((type) => ({ name: typeLabel(type), value: type })),
		],
		default: ['all'],
		description: 'Messages of other types are acknowledged and dropped',
	},
	{
		displayName: 'Statuses Output',
		name: 'emitStatuses',
		type: 'boolean',
		default: false,
		description:
			'Whether to send sent/delivered/read/played/failed status updates to the Statuses output. Off: they are acknowledged without starting an execution.',
	},
	{
		displayName: 'Other Events',
		name: 'events',
		type: 'multiOptions',
		options: [
			{
				name: 'Business App Replies (Smb_message_echoes)',
				value: 'smb_message_echoes',
				description: 'A person at the business answered from the WhatsApp Business app',
			},
			{
				name: 'Delivery Errors',
				value: 'errors',
				description: 'Errors Meta reports about the account or a delivery',
			},
			{
				name: 'Marketing Opt-Out/Opt-In (User_preferences)',
				value: 'user_preferences',
				description: 'The person tapped stop or resume for marketing messages inside WhatsApp',
			},
			{
				name: 'Other Webhook Fields',
				value: 'unknown_field',
				description: 'Any other field subscribed in Meta (account_update, …) as it arrives',
			},
			{
				name: 'Standby (Meta Business Agent)',
				value: 'standby',
				description:
					'Meta’s own Business Agent holds the conversation: the customer’s messages, its replies and their receipts, for the record. Never answer them: sending takes the conversation over.',
			},
		],
		default: [],
		description: 'Events sent to the Events output; they never reach the Messages output',
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add option',
		default: {},
		options: [
			{
				displayName: 'Accept Any Phone Number',
				name: 'anyPhoneNumber',
				type: 'boolean',
				default: false,
				description:
					'Whether to accept messages sent to other phone numbers of the app. Off: only the credential’s phone number ID; others are dropped and logged.',
			},
			{
				displayName: 'Content by Reference',
				name: 'contentByReference',
				type: 'boolean',
				default: false,
				description:
					'Whether to keep message content and media encrypted in the WhatsAuto store (short time-to-live) and put only a reference in the item, so n8n’s execution data never holds it. Items then name the person by a pseudonymous contactKey (wa:…) and Meta’s message IDs by a keyed reference (m:…). Needs a WhatsAuto: Store API credential.',
			},
			{
				displayName: 'Content Time-to-Live (Minutes)',
				name: 'contentTtlMinutes',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: 10080 },
				default: DEFAULT_CONTENT_TTL_MINUTES,
				description: 'How long content kept by reference lives if nothing deletes it first',
			},
			{
				displayName: 'Conversation Gate',
				name: 'conversationGate',
				type: 'boolean',
				default: false,
				description:
					'Whether to write each new message to the WhatsAuto store before Meta is answered (500 when the store cannot take it) and hand a contact’s messages on together, as one turn item, once they stop coming (Gate Debounce). One execution carries up to 20 turns; a contact’s next turn waits for the previous execution; after a crash or restart waiting messages are handed on again.',
			},
			{
				displayName: 'Download Media',
				name: 'downloadMedia',
				type: 'boolean',
				default: false,
				description:
					'Whether to download images, voice notes, videos, documents and stickers into the item’s binary data (after Meta has been answered). A failed download leaves an error field on the item.',
			},
			{
				displayName: 'Gate Cap (Seconds)',
				name: 'gateCapSeconds',
				type: 'number',
				typeOptions: { minValue: 0, maxValue: 300 },
				default: GATE_CAP_SECONDS,
				description: 'A turn is handed on at the latest this long after its first message, however many follow',
			},
			{
				displayName: 'Gate Debounce (Seconds)',
				name: 'gateDebounceSeconds',
				type: 'number',
				typeOptions: { minValue: 0, maxValue: 60 },
				default: GATE_DEBOUNCE_SECONDS,
				description: 'A turn is handed on this long after the contact’s last message; 0: at once, one turn per message batch',
			},
			{
				displayName: 'Gate Inbox Limit',
				name: 'gateInboxLimit',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: GATE_INBOX_LIMIT,
				description:
					'With more messages than this waiting in the inbox, a delivery with new messages is answered 503 (Retry-After) so Meta sends it again later, instead of acknowledging more than can be worked off; 0: no limit',
			},
			{
				displayName: 'Gate Max Age (Minutes)',
				name: 'gateMaxAgeMinutes',
				type: 'number',
				typeOptions: { minValue: GATE_MIN_MAX_AGE_MINUTES },
				default: GATE_MAX_AGE_MINUTES,
				description: 'Messages still waiting this long after they were sent (n8n was down) are reported on the Events output as expired, not answered late',
			},
			{
				displayName: 'Include Raw Payload',
				name: 'includeRaw',
				type: 'boolean',
				default: false,
				description: 'Whether to add the message as Meta sent it under "raw". Off by default to keep items minimal.',
			},
			{
				displayName: 'Max Media Size (MB)',
				name: 'maxMediaMb',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: 0,
				description: 'Largest media to download; 0 uses Meta’s limit for each type (image 5, audio/video 16, document 100)',
			},
			{
				displayName: 'Max Message Age (Minutes)',
				name: 'maxAgeMinutes',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: 60,
				description:
					'Meta retries deliveries for days; older messages are dropped or flagged, older statuses and events always dropped. 0 turns the check off.',
			},
			{
				displayName: 'Old Messages',
				name: 'staleMessages',
				type: 'options',
				options: [
					{ name: 'Drop', value: 'drop', description: 'Acknowledge and log, start nothing' },
					{ name: 'Flag', value: 'flag', description: 'Pass messages on with stale: true (old statuses and events are dropped all the same)' },
				],
				default: 'drop',
			},
			{
				displayName: 'Record Meta Pricing',
				name: 'recordPricing',
				type: 'boolean',
				default: true,
				description:
					'Whether to record Meta’s pricing category of each message the Auto-Reply sent into the usage ledger, from status webhooks, without starting an execution (the Statuses output need not be on). Needs the WhatsAuto: Store API credential with a secret key; metadata only (category, billable, pricing model, time), kept 13 months.',
			},
			{
				displayName: 'Show Contact Number',
				name: 'showContactNumber',
				type: 'boolean',
				default: false,
				description:
					'Whether to put the sender’s phone number and business-scoped user ID in clear on items kept by reference (from.waId, from.userId; the recipient on statuses). Off: items carry only the pseudonymous contactKey, and WhatsAuto nodes find the number in the store.',
			},
			{
				displayName: 'Subscribe Business Account on Activation',
				name: 'subscribeOnActivation',
				type: 'boolean',
				default: true,
				description:
					'Whether to call POST /{WABA}/subscribed_apps when the workflow is activated; without it production numbers never deliver. A failure is only logged.',
			},
		],
	},
];
