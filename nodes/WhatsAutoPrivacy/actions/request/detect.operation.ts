import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { stringOr } from '../../../shared/coerce';
import { resolveContent } from '../../../shared/store/contentByReference';
import { detectPrivacyCommand, type Detection } from '../../../shared/privacy/commandDetection';
import { parseEraseButton } from '../../../shared/privacy/confirmation';
import { storeFor } from '../../../shared/store/access';
import { forOperation } from '../fields';
import { turnItem } from '../../../shared/turns';

export const description: INodeProperties[] = forOperation('detect', [
	{
		displayName:
			'Privacy commands leave on the first output ("Privacy"), everything else on the second. Put this node between the WhatsAuto Trigger and the Auto-Reply node.',
		name: 'detectNotice',
		type: 'notice',
		default: '',
	},
]);

/**
 * Message types whose text can be a command: typed text, template buttons such as "Unsubscribe" (marketing
 * only), reply buttons (among them the answers to an erasure question). Forwarded messages never are.
 */
const TEXT_BEARING_MESSAGE_TYPES = new Set(['text', 'button', 'interactive']);

/** What Meta's own stop/resume for marketing means here: an objection to marketing, or its withdrawal. */
function fromPreferences(json: IDataObject): IDataObject | undefined {
	if (json.kind !== 'user_preferences') return undefined;
	const value = String(json.value ?? '');
	if (value !== 'stop' && value !== 'resume') return undefined;
	return { type: value === 'stop' ? 'object' : 'resume', scope: 'marketing', source: 'user_preferences' };
}

/** The message with its content: the item itself, or, kept by reference, as the store holds it (empty once gone). */
async function messageOf(ctx: IExecuteFunctions, json: IDataObject): Promise<IDataObject> {
	if (typeof json.contentRef !== 'string') return json;
	const access = await storeFor(ctx);
	if (!access.keys) return {};
	const resolved = await resolveContent(access.store, access.keys, json);
	return (resolved?.message ?? {}) as IDataObject;
}

/** Forwarded (or forwarded many times): someone else's words, never the person's own command. */
function isForwarded(json: IDataObject): boolean {
	const context = (json.context ?? {}) as IDataObject;
	return context.forwarded === true || context.frequentlyForwarded === true || context.frequently_forwarded === true;
}

/** A tap on one of the buttons under an erasure question: the id names the answer and the request. */
function erasureAnswerOf(message: IDataObject): IDataObject | undefined {
	if (message.type !== 'interactive') return undefined;
	const reply = ((message.interactive ?? {}) as IDataObject).buttonReply as IDataObject | undefined;
	const found = parseEraseButton(reply?.id);
	return found && { type: 'delete', confirmation: found.answer, requestId: found.requestId, scope: 'all', source: 'button' };
}

/**
 * A template's quick-reply button ("Stop promotions" under a marketing message, `type: button`): the label, or
 * failing that the payload the business set. An objection or its withdrawal there concerns marketing only.
 */
function templateButtonCommand(message: IDataObject): Detection {
	const button = (message.button ?? {}) as IDataObject;
	const byText = detectPrivacyCommand(stringOr(button.text) || stringOr(message.text));
	return byText.isCommand ? byText : detectPrivacyCommand(stringOr(button.payload));
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
		if (json.kind === 'turn' && Array.isArray(json.messages)) {
			// A turn (the trigger's conversation gate): every message is looked at; its commands go out one by one
			// on the privacy output, what is left stays one turn, so a STOP inside a burst is seen before any answer.
			const rest: INodeExecutionData[] = [];
			for (const message of json.messages as IDataObject[]) {
				const found = await privacyOf(ctx, message);
				if (found) privacy.push({ json: { ...message, privacy: found }, pairedItem });
				else rest.push({ json: message });
			}
			if (rest.length === (json.messages as IDataObject[]).length) other.push({ ...items[itemIndex], pairedItem });
			else if (rest.length) other.push({ ...turnItem(rest, String(json.contactKey ?? '')), pairedItem });
			continue;
		}
		const found = await privacyOf(ctx, json);
		if (found) privacy.push({ json: { ...json, privacy: found }, pairedItem });
		else other.push({ ...items[itemIndex], pairedItem });
	}
	return [privacy, other];
}

/** The privacy command an item (or a turn's message) carries, or undefined when it is none. */
async function privacyOf(ctx: IExecuteFunctions, json: IDataObject): Promise<IDataObject | undefined> {
	const preference = fromPreferences(json);
	if (preference) return preference;
	const isMessage = json.kind === 'message' || (json.kind === undefined && typeof json.messageId === 'string');
	if (!isMessage || !TEXT_BEARING_MESSAGE_TYPES.has(String(json.type)) || isForwarded(json)) return undefined;
	const message = await messageOf(ctx, json);
	const answer = erasureAnswerOf(message);
	if (answer) return answer;
	const fromTemplate = json.type === 'button';
	const detection: Detection = fromTemplate ? templateButtonCommand(message) : detectPrivacyCommand(stringOr(message.text));
	if (!detection.isCommand) return undefined;
	const { isCommand: _isCommand, ...found } = detection;
	// Kept by reference, what the person typed stays in the store: Execute reads a corrected value there.
	if (typeof json.contentRef === 'string' && found.correction?.value !== undefined) {
		const { value: _value, ...correction } = found.correction;
		found.correction = correction;
	}
	const marketingOnly = fromTemplate && (found.type === 'object' || found.type === 'resume');
	const scope = marketingOnly ? 'marketing' : 'all';
	return { ...found, scope, source: fromTemplate ? 'template_button' : 'message' } as IDataObject;
}
