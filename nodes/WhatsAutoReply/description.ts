import type { INodeProperties } from 'n8n-workflow';

import { pause, resume, status } from './actions/conversation';
import { report } from './actions/usage';
import { list, notify } from './actions/waitlist';
import { forOperations } from './actions/conversation/fields';
import { CONVERSATION_DEFAULTS, DEFAULTS, LIMIT_DEFAULTS } from './actions/reply/options';
import { DEFAULT_PRICES } from '../shared/usage/aggregate';

// Texts come from DEFAULTS, the one table the option parser also falls back on; the lint rule only sees literals.
/* eslint-disable n8n-nodes-base/node-param-default-missing */

const operationField: INodeProperties = {
	displayName: 'Operation',
	name: 'operation',
	type: 'options',
	noDataExpression: true,
	options: [
		{
			name: 'Get Conversation Status',
			value: 'status',
			action: 'Get the conversation status of a contact',
			description: 'Whether the AI is paused for a contact, why and until when',
		},
		{
			name: 'Get Usage Report',
			value: 'usage',
			action: 'Get a usage and cost report',
			description: 'What the bot did and cost over a period: turns, replies, tokens, model cost, Meta pricing, latencies (metadata only)',
		},
		{
			name: 'Get Waitlist',
			value: 'waitlist',
			action: 'Get the people on the waitlist',
			description: 'The people turned away at capacity, longest waiting first (contact references, never numbers)',
		},
		{
			name: 'Notify Waitlist',
			value: 'notifyWaitlist',
			action: 'Tell the people on the waitlist the bot is back',
			description: 'As many people as there is room for get a “we’re back” message (a template once their 24-hour window closed)',
		},
		{
			name: 'Pause AI',
			value: 'pause',
			action: 'Pause the AI for a contact',
			description: 'A person takes the conversation; the AI sends this contact nothing',
		},
		{
			name: 'Reply',
			value: 'reply',
			action: 'Reply to messages',
			description: 'Answer WhatsApp messages with GPT-4, exactly once',
		},
		{
			name: 'Resume AI',
			value: 'resume',
			action: 'Resume the AI for a contact',
			description: 'The AI answers this contact again',
		},
	],
	default: 'reply',
};

const limitsField: INodeProperties = {
	displayName: 'Limits',
	name: 'limits',
	type: 'collection',
	placeholder: 'Add limit',
	default: {},
	description:
		'Caps per person, the loop guard, token budgets, the monthly spend cap and load shedding with a waitlist. Each is off until added and needs the WhatsAuto: Store API credential; counts are kept in the store, so every worker shares them.',
	options: [
		{
			displayName: 'Account Tokens per Day',
			name: 'accountTokensPerDay',
			type: 'number',
			typeOptions: { minValue: 0 },
			default: LIMIT_DEFAULTS.accountTokensPerDay,
			description: 'Model tokens for everyone together per day (the workflow’s time zone), for every Auto-Reply using this store. 0: no budget.',
		},
		{
			displayName: 'Active Window (Minutes)',
			name: 'activeWindowMinutes',
			type: 'number',
			typeOptions: { minValue: 1 },
			default: LIMIT_DEFAULTS.activeWindowMinutes,
			description: 'A conversation counts as active this long after its last answered turn (for Max Active Conversations)',
		},
		{
			displayName: 'Budget Price Table',
			name: 'budgetPriceTable',
			type: 'json',
			default: JSON.stringify(DEFAULT_PRICES, null, 2),
			description:
				'Prices in USD per million tokens (inputPerMillion, cachedInputPerMillion, outputPerMillion) per model, for the Monthly Spend Cap: the same shape as the usage report’s Price Table. The defaults are OpenAI list prices: edit them to your contract.',
		},
		{
			displayName: 'Capacity Message',
			name: 'capacityMessage',
			type: 'string',
			default: '',
			placeholder: 'Empty: a short message in the customer’s language',
			description: 'Sent once to a new person turned away at capacity; they go on the waitlist',
		},
		{
			displayName: 'Cheaper Model',
			name: 'cheaperModel',
			type: 'string',
			default: LIMIT_DEFAULTS.cheaperModel,
			description: 'The model that answers once a budget is used up, when When a Budget Is Reached says so',
		},
		{
			displayName: 'Contact Tokens per Day',
			name: 'contactTokensPerDay',
			type: 'number',
			typeOptions: { minValue: 0 },
			default: LIMIT_DEFAULTS.contactTokensPerDay,
			description: 'Model tokens one person’s turns may use per day (the workflow’s time zone). 0: no budget.',
		},
		{
			displayName: 'Loop Guard',
			name: 'loopGuard',
			type: 'boolean',
			default: true,
			description:
				'Whether to stop answering a person whose turns look like another bot’s (our own replies echoed back, the same text again and again, a pace no person keeps) after Loop Guard: Stop After turns in a row; the item leaves on the Flagged output and the AI is paused for them (Resume AI ends it)',
		},
		{
			displayName: 'Loop Guard: Max Messages per Minute',
			name: 'loopMaxMessagesPerMinute',
			type: 'number',
			typeOptions: { minValue: 1 },
			default: LIMIT_DEFAULTS.loopMaxMessagesPerMinute,
			description: 'More messages than this from one person within a minute looks like a bot',
		},
		{
			displayName: 'Loop Guard: Repeats',
			name: 'loopRepeats',
			type: 'number',
			typeOptions: { minValue: 2 },
			default: LIMIT_DEFAULTS.loopRepeats,
			description: 'The same text this many times within 10 minutes looks like a bot',
		},
		{
			displayName: 'Loop Guard: Stop After',
			name: 'loopStopAfter',
			type: 'number',
			typeOptions: { minValue: 1 },
			default: LIMIT_DEFAULTS.loopStopAfter,
			description: 'How many bot-like turns in a row stop the bot for that person',
		},
		{
			displayName: 'Max Active Conversations',
			name: 'maxActiveConversations',
			type: 'number',
			typeOptions: { minValue: 0 },
			default: LIMIT_DEFAULTS.maxActiveConversations,
			description:
				'Capacity: with this many conversations active, a new person gets the capacity message once and goes on the waitlist; conversations under way go on. 0: no limit.',
		},
		{
			displayName: 'Monthly Spend Cap (USD)',
			name: 'monthlySpendUsd',
			type: 'number',
			typeOptions: { minValue: 0, numberPrecision: 2 },
			default: LIMIT_DEFAULTS.monthlySpendUsd,
			description: 'Model spend per calendar month, priced by the Budget Price Table. 0: no cap.',
		},
		{
			displayName: 'Replies per Day',
			name: 'repliesPerDay',
			type: 'number',
			typeOptions: { minValue: 0 },
			default: LIMIT_DEFAULTS.repliesPerDay,
			description: 'Turns answered per person per day (the workflow’s time zone); beyond it the bot stays silent and the first item over it leaves on the Flagged output. 0: no cap.',
		},
		{
			displayName: 'Replies per Hour',
			name: 'repliesPerHour',
			type: 'number',
			typeOptions: { minValue: 0 },
			default: LIMIT_DEFAULTS.repliesPerHour,
			description: 'Turns answered per person per clock hour. 0: no cap.',
		},
		{
			displayName: 'Shed Load When Account Budget Is Used Up',
			name: 'shedOnAccountBudget',
			type: 'boolean',
			default: true,
			description: 'Whether new people are turned away (capacity message, waitlist) too while Account Tokens per Day is used up',
		},
		{
			displayName: 'Waitlist TTL (Days)',
			name: 'waitlistDays',
			type: 'number',
			typeOptions: { minValue: 1, maxValue: 30 },
			default: LIMIT_DEFAULTS.waitlistDays,
			description: 'How long a person stays on the waitlist without being notified',
		},
		{
			displayName: 'When a Budget Is Reached',
			name: 'whenBudgetReached',
			type: 'options',
			options: [
				{ name: 'Send the Fallback Message Once, Then Stay Silent', value: 'fallback' },
				{ name: 'Answer With the Cheaper Model', value: 'cheaperModel' },
			],
			default: 'fallback',
			description: 'What happens to a turn once a token budget or the spend cap is used up (the first item over it leaves on the Flagged output)',
		},
	],
};

const conversationField: INodeProperties = {
	displayName: 'Conversation',
	name: 'conversation',
	type: 'collection',
	placeholder: 'Add conversation setting',
	default: {},
	description:
		'Memory, handing over to a person, business hours and the first-contact AI notice. Each needs the WhatsAuto: Store API credential.',
	options: [
		{
			displayName: 'AI Disclosure on First Contact',
			name: 'aiDisclosure',
			type: 'boolean',
			default: true,
			description:
				'Whether to tell each person once, in their language and in the first reply, that an AI assistant answers and how to reach a person, stop the assistant or get their data (EU AI Act Art. 50, GDPR Art. 21(4))',
		},
		{
			displayName: 'Away Message',
			name: 'awayMessage',
			type: 'string',
			default: '',
			placeholder: 'Empty: a short message in the customer’s language',
			description: 'Sent outside business hours, at most once per person per closed period',
		},
		{
			displayName: 'Business Hours',
			name: 'businessHours',
			type: 'string',
			default: CONVERSATION_DEFAULTS.schedule,
			placeholder: 'e.g. Mon-Fri 09:00-18:00; Sat 10:00-14:00',
			description:
				'Weekly opening hours: days (Mon, Tue-Fri…) and ranges (09:00-18:00, 20:00-02:00 runs past midnight), entries separated by ";" or new lines. Outside them the away message goes out once.',
		},
		{
			displayName: 'Disclosure Message',
			name: 'disclosureMessage',
			type: 'string',
			default: '',
			placeholder: 'Empty: the built-in notice in the customer’s language',
			description: 'Your own first-contact notice instead of the built-in one',
		},
		{
			displayName: 'Hand Off on Request',
			name: 'handoff',
			type: 'boolean',
			default: true,
			description:
				'Whether a customer asking for a person ("human", "agent", "talk to someone"… in 7 languages, no model call) gets the handoff message, the AI pauses for them, and the item leaves on the Handoff output so a workflow can tell your team',
		},
		{
			displayName: 'Handoff Message',
			name: 'handoffMessage',
			type: 'string',
			default: '',
			placeholder: 'Empty: a short message in the customer’s language',
			description: 'Sent when a customer asks for a person',
		},
		{
			displayName: 'Holidays',
			name: 'holidays',
			type: 'string',
			default: '',
			placeholder: 'e.g. 2026-12-25, 2026-12-26',
			description: 'Days closed all day (YYYY-MM-DD in the business hours’ time zone), separated by commas or new lines',
		},
		{
			displayName: 'Memory (Turns)',
			name: 'memoryTurns',
			type: 'number',
			typeOptions: { minValue: 0, maxValue: 50 },
			default: CONVERSATION_DEFAULTS.memoryTurns,
			description:
				'How many earlier turns (the customer’s messages and our replies) the model gets, kept encrypted per contact. 0: every reply stateless. "reset" or "start over" (7 languages) clears it; erasure removes it.',
		},
		{
			displayName: 'Memory Max Tokens',
			name: 'memoryMaxTokens',
			type: 'number',
			typeOptions: { minValue: 100 },
			default: CONVERSATION_DEFAULTS.memoryMaxTokens,
			description: 'The most (estimated) prompt tokens the remembered turns may take; the oldest give way first',
		},
		{
			displayName: 'Memory Time-to-Live (Hours)',
			name: 'memoryHours',
			type: 'number',
			typeOptions: { minValue: 0.1, maxValue: 168 },
			default: CONVERSATION_DEFAULTS.memoryHours,
			description: 'Each remembered turn is deleted this long after it (default: the 24-hour customer-service window)',
		},
		{
			displayName: 'Outside Business Hours',
			name: 'outsideHours',
			type: 'options',
			options: [
				{
					name: 'AI Answers Too',
					value: 'answer',
					description: 'The away message goes before the AI’s reply',
				},
				{
					name: 'Stay Silent',
					value: 'silent',
					description: 'Only the away message, once; nothing else until opening',
				},
			],
			default: 'answer',
		},
		{
			displayName: 'Pause Ends After Silence (Hours)',
			name: 'pauseSilenceHours',
			type: 'number',
			typeOptions: { minValue: 0.1, maxValue: 168 },
			default: CONVERSATION_DEFAULTS.pauseSilenceHours,
			description:
				'After a handoff, a reply from the Business app or a Pause AI operation, the AI answers again once the people answering have been silent this long (or on Resume AI)',
		},
		{
			displayName: 'Pause While a Person Answers',
			name: 'pauseOnHumanReply',
			type: 'boolean',
			default: true,
			description:
				'Whether a reply from the WhatsApp Business app (the trigger’s Business App Replies event, connected to this node) pauses the AI for that contact',
		},
		{
			displayName: 'Time Zone',
			name: 'hoursTimezone',
			type: 'string',
			default: '',
			placeholder: 'e.g. Europe/Madrid (empty: the workflow’s time zone)',
			description: 'IANA time zone of the business hours and holidays',
		},
	],
};

export const replyProperties: INodeProperties[] = [
	operationField,
	...forOperations(
		['reply'],
		[
			{
				displayName:
					'Connect the Messages output of a WhatsAuto Trigger. Every message type is understood before the reply: photos and stickers are looked at, voice notes and videos transcribed, PDFs read.',
				name: 'inputNotice',
				type: 'notice',
				default: '',
			},
			{
				displayName: 'Model Name or ID',
				name: 'model',
				type: 'options',
				typeOptions: { loadOptionsMethod: 'getModels' },
				// A working model preselected beats an empty list for a newcomer.
				// eslint-disable-next-line n8n-nodes-base/node-param-default-wrong-for-options
				default: 'gpt-4o',
				description:
					'GPT-4-family chat model that writes the reply. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
			},
			{
				displayName: 'Business Name',
				name: 'businessName',
				type: 'string',
				default: '',
				placeholder: 'e.g. Lucky Shrub Garden Centre',
				description: 'Who the assistant speaks for; it only helps with questions about this business',
			},
			{
				displayName: 'Persona and Instructions',
				name: 'instructions',
				type: 'string',
				typeOptions: { rows: 4 },
				default: DEFAULTS.instructions,
				description: 'How the assistant should sound and behave (system prompt)',
			},
			{
				displayName: 'Business Knowledge',
				name: 'knowledge',
				type: 'string',
				typeOptions: { rows: 8 },
				default: '',
				placeholder: 'Opening hours: Mon–Sat 9:00–18:00\nDelivery: free over €50 …',
				description:
					'Facts the assistant may rely on (prices, hours, policies). It never invents facts beyond these and says so when it does not know.',
			},
			{
				displayName: 'Send Reply',
				name: 'sendReply',
				type: 'boolean',
				default: true,
				description: 'Whether to send the reply to the customer on WhatsApp. Off: only output it (e.g. for review).',
			},
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add option',
				default: {},
				options: [
					{
						displayName: 'Allowed Contacts',
						name: 'allowContacts',
						type: 'string',
						typeOptions: { rows: 3 },
						default: '',
						placeholder: '+34 655 501 234, +1 650 555 1234',
						description:
							'Phone numbers in international format, comma or newline separated: only they get answers (others: skipped, reason not_allowed). Empty: everyone.',
					},
					{
						displayName: 'Blocked Contacts',
						name: 'denyContacts',
						type: 'string',
						typeOptions: { rows: 3 },
						default: '',
						placeholder: '+34 655 501 234',
						description:
							'Phone numbers in international format, comma or newline separated, that never get an answer (skipped, reason blocked_contact). Wins over Allowed Contacts.',
					},
					{
						displayName: 'Fallback Message',
						name: 'fallbackMessage',
						type: 'string',
						default: DEFAULTS.fallbackMessage,
						description: 'Sent when the model cannot answer after retries, so the customer never meets silence',
					},
					{
						displayName: 'Include Extracted Text in Output',
						name: 'includeUnderstanding',
						type: 'boolean',
						default: false,
						description:
							'Whether to put transcripts and text read from files in the output. Off: only their length (n8n would otherwise store them with the execution).',
					},
					{
						displayName: 'Include Reply Text in Output',
						name: 'includeReplyText',
						type: 'boolean',
						default: true,
						description:
							'Whether to put the text sent to the customer in the output. Off: only its length, so execution data holds nothing the reply may have quoted.',
					},
					{
						displayName: 'Keyword Rules',
						name: 'keywordRules',
						type: 'fixedCollection',
						typeOptions: { multipleValues: true, sortable: true },
						placeholder: 'Add Rule',
						default: {},
						description:
							'Checked in order before the model, on each of the customer’s texts; the first match wins. Exact and Contains ignore case, accents and surrounding spaces; a regex (at most 200 characters) runs with the u and i flags on the first 1,000 characters of each text.',
						options: [
							{
								displayName: 'Rule',
								name: 'rule',
								values: [
									{
										displayName: 'Action',
										name: 'action',
										type: 'options',
										options: [
											{ name: 'Reply', value: 'reply' },
											{ name: 'Route', value: 'route' },
										],
										default: 'reply',
										description: 'Reply: send the fixed Reply Text, without the model. Route: send nothing; the item leaves on the Rule output for the workflow to handle.',
									},
									{
										displayName: 'Match',
										name: 'match',
										type: 'options',
										options: [
											{ name: 'Contains', value: 'contains' },
											{ name: 'Exact', value: 'exact' },
											{ name: 'Regex', value: 'regex' },
										],
										default: 'exact',
									},
									{
										displayName: 'Pattern',
										name: 'pattern',
										type: 'string',
										default: '',
										placeholder: 'opening hours',
									},
									{
										displayName: 'Reply Text',
										name: 'replyText',
										type: 'string',
										typeOptions: { rows: 3 },
										default: '',
										displayOptions: { show: { action: ['reply'] } },
									},
								],
							},
						],
					},
					{
						displayName: 'Mark as Read',
						name: 'markAsRead',
						type: 'boolean',
						default: true,
						description: 'Whether to show the customer blue ticks as soon as work on the reply starts',
					},
					{
						displayName: 'Mask Personal Data',
						name: 'maskPersonalData',
						type: 'boolean',
						default: true,
						description:
							'Whether to replace e-mail addresses, card numbers (Luhn-checked), IBANs (checksum) and phone numbers before text reaches the model',
					},
					{
						displayName: 'Max Media Size (MB)',
						name: 'maxMediaMb',
						type: 'collection',
						placeholder: 'Set a limit',
						default: {},
						options: [
							{
								displayName: 'Audio / Voice Note',
								name: 'audio',
								type: 'number',
								default: 16,
							},
							{
								displayName: 'Document',
								name: 'document',
								type: 'number',
								default: 10,
							},
							{
								displayName: 'Image',
								name: 'image',
								type: 'number',
								default: 5,
							},
							{
								displayName: 'Sticker',
								name: 'sticker',
								type: 'number',
								default: 0.5,
							},
							{
								displayName: 'Video',
								name: 'video',
								type: 'number',
								default: 16,
							},
						],
					},
					{
						displayName: 'Max Reply Length (Characters)',
						name: 'maxReplyChars',
						type: 'number',
						typeOptions: { minValue: 100 },
						default: 1500,
					},
					{
						displayName: 'Model Time Budget (Seconds)',
						name: 'modelBudgetSeconds',
						type: 'number',
						typeOptions: { minValue: 5 },
						default: 90,
						description: 'Total time for transcription and the reply, retries included, before the fallback message goes out',
					},
					{
						displayName: 'Off-Topic Handling',
						name: 'offTopicReply',
						type: 'string',
						default: DEFAULTS.offTopicReply,
						description: 'What the assistant does with requests unrelated to the business (Meta bans general-purpose AI assistants)',
					},
					{
						displayName: 'Outside the 24-Hour Window',
						name: 'outsideWindow',
						type: 'options',
						options: [
							{
								name: 'Skip',
								value: 'skip',
								description: 'Send nothing and say so in the output',
							},
							{
								name: 'Send Template',
								value: 'template',
								description: 'Send the approved template below',
							},
						],
						default: 'skip',
						description: 'WhatsApp allows free-form replies only within 24 hours of the customer’s last message (error 131047 otherwise)',
					},
					{
						displayName: 'Quote Customer Message',
						name: 'quoteMessage',
						type: 'boolean',
						default: false,
						description: 'Whether to show the customer’s message quoted above the reply',
					},
					{
						displayName: 'Reactions',
						name: 'reactions',
						type: 'options',
						options: [
							{ name: 'Ignore', value: 'ignore' },
							{ name: 'Reply', value: 'reply' },
						],
						default: 'ignore',
						description: 'Whether an emoji reaction to one of your messages gets an answer',
					},
					{
						displayName: 'Reply Language',
						name: 'replyLanguage',
						type: 'string',
						default: '',
						placeholder: 'e.g. Bengali',
						description: 'Leave empty to answer in the customer’s own language and script',
					},
					{
						displayName: 'Temperature',
						name: 'temperature',
						type: 'number',
						typeOptions: { minValue: 0, maxValue: 2, numberPrecision: 1 },
						default: 0.3,
					},
					{
						displayName: 'Template Language',
						name: 'templateLanguage',
						type: 'string',
						default: 'en_US',
						displayOptions: { show: { outsideWindow: ['template'] } },
					},
					{
						displayName: 'Template Name',
						name: 'templateName',
						type: 'string',
						default: '',
						placeholder: 'e.g. follow_up',
						displayOptions: { show: { outsideWindow: ['template'] } },
					},
					{
						displayName: 'Template Parameters',
						name: 'templateParameters',
						type: 'string',
						typeOptions: { rows: 3 },
						default: '',
						description: 'One body parameter per line: {{1}}, {{2}}, …',
						displayOptions: { show: { outsideWindow: ['template'] } },
					},
					{
						displayName: 'Too-Large File Reply',
						name: 'tooLargeReply',
						type: 'string',
						default: DEFAULTS.tooLargeReply,
					},
					{
						displayName: 'Transcription Model',
						name: 'transcriptionModel',
						type: 'options',
						options: [
							{
								name: 'GPT-4o Mini Transcribe',
								value: 'gpt-4o-mini-transcribe',
							},
							{ name: 'GPT-4o Transcribe', value: 'gpt-4o-transcribe' },
							{ name: 'Whisper', value: 'whisper-1' },
						],
						default: 'gpt-4o-mini-transcribe',
						description: 'Turns voice notes and video sound tracks into text',
					},
					{
						displayName: 'Typing Indicator',
						name: 'typingIndicator',
						type: 'boolean',
						default: true,
						description: 'Whether to show "typing…" while the reply is written (up to 25 s)',
					},
					{
						displayName: 'Unreadable File Reply',
						name: 'unreadableDocumentReply',
						type: 'string',
						default: DEFAULTS.unreadableDocumentReply,
						description: 'Sent for documents other than PDF or text files',
					},
					{
						displayName: 'Unsupported Message Reply',
						name: 'unsupportedReply',
						type: 'string',
						default: DEFAULTS.unsupportedReply,
					},
					{
				displayName: 'Usage Ledger',
				name: 'usageLedger',
				type: 'boolean',
				default: true,
				description:
					'Whether to keep one metadata row per processed turn (outcome, message types, model, tokens, stage latencies; never text) and, from the Statuses output connected here (or the trigger’s Record Meta Pricing option, without an execution), Meta’s pricing category of each message sent — for the Get Usage Report operation',
			},
			{
				displayName: 'Usage Retention (Months)',
				name: 'usageRetentionMonths',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: 120 },
				default: 13,
				description: 'How long usage rows are kept before they are deleted',
			},
			{
						displayName: 'Welcome Message',
						name: 'welcomeMessage',
						type: 'string',
						default: DEFAULTS.welcomeMessage,
						description: 'Sent when someone opens the chat for the first time (request_welcome)',
					},
				],
			},
			conversationField,
			limitsField,
		],
	),
	...pause.description,
	...resume.description,
	...status.description,
	...report.description,
	...list.description,
	...notify.description,
];
