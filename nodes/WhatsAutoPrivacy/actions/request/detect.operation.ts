import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { stringOr } from '../../../shared/coerce';
import { resolveContent } from '../../../shared/store/contentByReference';
import { detectPrivacyCommand, type Detection } from '../../../shared/privacy/commandDetection';
import { storeFor } from '../../../shared/store/access';
import { forOperation } from '../fields';

export const description: INodeProperties[] = forOperation('detect', [
	{
		displayName:
			'Privacy commands leave on the first output ("Privacy"), everything else on the second. Put this node between the WhatsAuto Trigger and the Auto-Reply node.',
		name: 'detectNotice',
		type: 'notice',
		default: '',
	},
]);

/** Message types whose text can be a command: typed text, and template buttons such as "Unsubscribe". */
const TEXT_BEARING_MESSAGE_TYPES = new Set(['text', 'button', 'interactive']);

/** What Meta's own stop/resume for marketing means here: an objection to marketing, or its withdrawal. */
function fromPreferences(json: IDataObject): IDataObject | undefined {
	if (json.kind !== 'user_preferences') return undefined;
	const value = String(json.value ?? '');
	if (value !== 'stop' && value !== 'resume') return undefined;
	return { type: value === 'stop' ? 'object' : 'resume', scope: 'marketing', source: 'user_preferences' };
}

async function textOf(ctx: IExecuteFunctions, json: IDataObject): Promise<string> {
	if (typeof json.contentRef !== 'string') return stringOr(json.text);
	const access = await storeFor(ctx);
	if (!access.keys) return '';
	const resolved = await resolveContent(access.store, access.keys, json);
	return stringOr(resolved?.message.text);
}

/**
 * Splits items into privacy commands (output 1) and everything else (output 2), so a workflow handles
 * "STOP" or "delete my data" before the Auto-Reply node ever sees it. Only customer messages and Meta's
 * preference events qualify: nothing the model writes is ever inspected here.
 */
export async function execute(ctx: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = ctx.getInputData();
	const privacy: INodeExecutionData[] = [];
	const other: INodeExecutionData[] = [];
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		const json = items[itemIndex].json;
		const pairedItem = { item: itemIndex };
		const preference = fromPreferences(json);
		if (preference) {
			privacy.push({ json: { ...json, privacy: preference }, pairedItem });
			continue;
		}
		const isMessage = json.kind === 'message' || (json.kind === undefined && typeof json.messageId === 'string');
		const detection: Detection = isMessage && TEXT_BEARING_MESSAGE_TYPES.has(String(json.type)) ? detectPrivacyCommand(await textOf(ctx, json)) : { isCommand: false, confidence: 'phrase' };
		if (!detection.isCommand) {
			other.push({ ...items[itemIndex], pairedItem });
			continue;
		}
		const { isCommand: _isCommand, ...found } = detection;
		// Kept by reference, what the person typed stays in the store: Execute reads a corrected value there.
		if (typeof json.contentRef === 'string' && found.correction?.value !== undefined) {
			const { value: _value, ...correction } = found.correction;
			found.correction = correction;
		}
		privacy.push({ json: { ...json, privacy: { ...found, scope: 'all', source: 'message' } as IDataObject }, pairedItem });
	}
	return [privacy, other];
}
