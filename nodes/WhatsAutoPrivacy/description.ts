import type { INodeProperties } from 'n8n-workflow';

import * as request from './actions/request';

/**
 * The node's fields: the operation, each operation's own fields (actions/request/<operation>.operation.ts;
 * those several operations show are defined once in actions/fields.ts), and the Operator details every
 * operation uses.
 */
export const privacyProperties: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		options: [
			{ name: 'Detect', value: 'detect', action: 'Detect privacy commands', description: 'Split messages into privacy commands and everything else' },
			{ name: 'Execute', value: 'execute', action: 'Execute a privacy request', description: 'Access, correct, delete, object or resume for a contact' },
			{ name: 'Extend Deadline', value: 'extend', action: 'Extend a request deadline', description: 'Record an extension with its reason' },
			{ name: 'Get Status', value: 'getStatus', action: 'Get the status of a request' },
			{ name: 'List Open', value: 'listOpen', action: 'List open requests', description: 'Open requests, due soonest first' },
			{ name: 'Verify', value: 'verify', action: 'Verify a one time code', description: 'Check the code sent over WhatsApp, then run the request' },
		],
		default: 'detect',
	},
	...request.detect.description,
	...request.execute.description,
	...request.verify.description,
	...request.getStatus.description,
	...request.listOpen.description,
	...request.extendDeadline.description,
	{
		displayName: 'Operator',
		name: 'operator',
		type: 'collection',
		placeholder: 'Add detail',
		default: {},
		description: 'Who is responsible for the data, as the export and confirmations state it',
		options: [
			{ displayName: 'Controller Name', name: 'controllerName', type: 'string', default: '' },
			{ displayName: 'Privacy Contact', name: 'contact', type: 'string', default: '', placeholder: 'e.g. privacy@example.com' },
			{ displayName: 'Supervisory Authority', name: 'supervisoryAuthority', type: 'string', default: '', placeholder: 'e.g. CNIL (cnil.fr)' },
		],
	},
];
