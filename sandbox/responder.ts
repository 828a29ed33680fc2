/**
 * The offline demo responder: what answers in place of OpenAI when `npm start` runs without OPENAI_API_KEY.
 *
 * It is a responder for the fake OpenAI server (devkit/fakes/openai.ts), so the Auto-Reply node talks to it over
 * the real OpenAI wire protocol. It answers deterministically from what the node sent: the business name and
 * knowledge in the system prompt, and the customer's content (text, photo, PDF, text file, voice-note
 * transcript). Every reply starts with OFFLINE_LABEL so nobody mistakes it for a model's answer.
 */
import { inflateSync } from 'node:zlib';

import type { ChatRequestRecord } from '../devkit/fakes/openai';

export const OFFLINE_LABEL = '[offline demo responder]';

/** What the node's user turn holds: "<label>\n<customer_content>\n<body>\n</customer_content>" blocks. */
interface Block {
	label: string;
	body: string;
}

const BLOCK = /([^\n]*)\n<customer_content>\n([\s\S]*?)\n<\/customer_content>/g;

function blocksOf(text: string): Block[] {
	const out: Block[] = [];
	for (const m of text.matchAll(BLOCK)) out.push({ label: m[1].trim(), body: m[2].trim() });
	return out;
}

function businessOf(system: string): { name: string; knowledge: string[] } {
	const name = /customer-service assistant of (.+?)\. /.exec(system)?.[1] ?? 'this business';
	const knowledge = /<business_knowledge>\n([\s\S]*?)\n<\/business_knowledge>/.exec(system)?.[1] ?? '';
	return {
		name,
		knowledge: knowledge
			.split('\n')
			.map((line) => line.trim())
			.filter(Boolean),
	};
}

/** Topic words a customer may use, and what a knowledge line about that topic contains. */
const TOPICS: Array<{ asks: RegExp; line: RegExp }> = [
	{ asks: /\b(open|opening|hours?|close[ds]?|closing|when|today|tomorrow|weekend|monday|tuesday|wednesday|thursday|friday|saturdays?|sundays?)\b/i, line: /\b(hours?|open|closed?|monday|saturday|sunday)\b/i },
	{ asks: /\b(deliver\w*|shipping|ship|send|post(age)?|courier|arrive)\b/i, line: /\b(deliver\w*|shipping|ship)\b/i },
	{ asks: /\b(price|prices|cost|costs|how much|cheap|expensive|eur|euros?|usd|dollars?|€|\$)/i, line: /(price|cost|eur|€|\$|usd|free)/i },
	{ asks: /\b(return|returns|refund\w*|exchange|broken|damaged)\b/i, line: /\b(return|refund|exchange)\b/i },
	{ asks: /\b(pay|payment|card|cash|paypal)\b/i, line: /\b(pay|payment|card|cash)\b/i },
	{ asks: /\b(where|address|location|find you|shop|store)\b/i, line: /\b(address|street|located|location|shop|store)\b/i },
];

const STOP_WORDS = new Set('the and you your for are with this that have what when does can from will there their about would could please hello thanks thank'.split(' '));

/** Knowledge lines that answer what the customer asked: by topic, then by shared words. */
function relevantKnowledge(question: string, knowledge: string[]): string[] {
	const hits = new Set<string>();
	for (const topic of TOPICS) {
		if (!topic.asks.test(question)) continue;
		for (const line of knowledge) if (topic.line.test(line)) hits.add(line);
	}
	const words = (question.toLowerCase().match(/\p{L}{4,}/gu) ?? []).filter((w) => !STOP_WORDS.has(w));
	for (const line of knowledge) {
		const lower = line.toLowerCase();
		if (words.some((w) => lower.includes(w.slice(0, 5)))) hits.add(line);
	}
	return knowledge.filter((line) => hits.has(line));
}

const quote = (text: string, max = 280) => `“${text.length > max ? `${text.slice(0, max - 1)}…` : text}”`;

/** Readable text of a simple PDF: the strings of its text operators, in plain or Flate-compressed streams. */
export function pdfText(bytes: Buffer, max = 400): string {
	const latin = bytes.toString('latin1');
	const streams: string[] = [];
	const STREAM = /<<([^]*?)>>\s*stream\r?\n/g;
	for (let m = STREAM.exec(latin); m; m = STREAM.exec(latin)) {
		const start = m.index + m[0].length;
		const end = latin.indexOf('endstream', start);
		if (end === -1) break;
		const raw = bytes.subarray(start, end);
		if (/\/FlateDecode/.test(m[1])) {
			try {
				streams.push(inflateSync(raw).toString('latin1'));
			} catch {
				/* not inflatable: skip */
			}
		} else if (!/\/Filter/.test(m[1])) streams.push(raw.toString('latin1'));
		STREAM.lastIndex = end;
	}
	const pieces: string[] = [];
	for (const stream of streams) {
		for (const op of stream.matchAll(/\((?:\\.|[^\\)])*\)\s*(?:Tj|'|")|\[(?:[^\]])*\]\s*TJ/g)) {
			const strings = [...op[0].matchAll(/\(((?:\\.|[^\\)])*)\)/g)].map((s) => s[1].replace(/\\([\\()])/g, '$1').replace(/\\n/g, ' '));
			pieces.push(strings.join(''));
		}
	}
	const text = pieces.join(' ').replace(/\s+/g, ' ').trim();
	// custom-encoded fonts give gibberish: only quote what reads as text
	const readable = (text.match(/[\p{L}\p{N}\s.,:;!?€$%()'-]/gu) ?? []).length;
	if (!text || readable / text.length < 0.9) return '';
	return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function describeBlock(block: Block, request: ChatRequestRecord): string | undefined {
	const { label, body } = block;
	if (/^The customer wrote:/.test(label)) return `You wrote: ${quote(body)}`;
	if (/sent a photo/.test(label)) {
		const image = request.images[0];
		const details = image?.width && image.height ? ` (${(image.format ?? 'image').toUpperCase()}, ${image.width}×${image.height} pixels)` : '';
		return `I see a photo${details}${body ? ` with the caption ${quote(body)}` : ' without a caption'}. A real model would describe what is in it.`;
	}
	if (/sent a sticker/.test(label)) return 'Thanks for the sticker!';
	if (/a voice note; it says:/.test(label)) return `Your voice note said: ${quote(body)}`;
	if (/an audio file; it says:/.test(label)) return `Your audio file said: ${quote(body)}`;
	if (/a video; its sound track says:/.test(label)) return `Your video's sound track said: ${quote(body)}`;
	if (/^Video caption:/.test(label)) return `The video's caption: ${quote(body)}`;
	const pdf = /sent a PDF document \((.*)\)\. Caption:/.exec(label);
	if (pdf) {
		const file = request.files[0];
		const pages = file?.pages ? ` (${file.pages} page${file.pages === 1 ? '' : 's'})` : '';
		const text = file?.bytes ? pdfText(file.bytes) : '';
		return [
			`I received your PDF “${pdf[1]}”${pages}${body ? ` with the caption ${quote(body)}` : ''}.`,
			text ? `It reads: ${quote(text, 200)}` : 'I could not read text from it offline; a real model reads the whole document.',
		].join(' ');
	}
	const file = /sent a text file \((.*)\)\. Caption:/.exec(label);
	if (file) return `I received your file “${file[1]}”${body ? ` with the caption ${quote(body)}` : ''}.`;
	if (/^File content:/.test(label)) return `It says: ${quote(body, 200)}`;
	if (/^The customer’s message:/.test(label)) return `I got your message: ${quote(body)}`;
	if (/reacted to a message with:/.test(label)) return `Thanks for the ${body}!`;
	return body ? `I got: ${quote(body)}` : undefined;
}

/**
 * What the node's conversation memory sent before the current turn (the last user message): one user message per
 * earlier turn, framed like the current one, each followed by the reply we sent.
 */
function memoryOf(request: ChatRequestRecord): string | undefined {
	const users = request.messages.filter((m) => m.role === 'user');
	const earlier = users.slice(0, -1);
	if (earlier.length === 0) return undefined;
	const last = earlier[earlier.length - 1].text;
	const said = blocksOf(last).at(-1)?.body ?? last.replace(/^Earlier\b[^\n]*\n?/, '').trim();
	const count = `${earlier.length} earlier message${earlier.length === 1 ? '' : 's'}`;
	return `(I remember ${count}${said ? `; you last said ${quote(said, 60)}` : ''}.)`;
}

/**
 * The reply to one chat request. Deterministic: the same request always gets the same answer.
 * Shape: label, what it remembers, what was understood, what the business knowledge says about it.
 */
export function offlineReply(request: ChatRequestRecord): string {
	const system = request.messages.filter((m) => m.role === 'system' || m.role === 'developer').map((m) => m.text).join('\n');
	const user = request.messages.filter((m) => m.role === 'user').at(-1)?.text ?? '';
	const { name, knowledge } = businessOf(system);
	const blocks = blocksOf(user);
	const understood = blocks.map((b) => describeBlock(b, request)).filter((s): s is string => !!s);
	if (understood.length === 0 && request.images.length) understood.push('I see a photo.');
	if (understood.length === 0 && request.files.length) understood.push(`I received your file “${request.files[0].filename ?? 'document'}”.`);

	const asked = blocks.map((b) => b.body).join('\n');
	const relevant = relevantKnowledge(asked, knowledge);
	const onlyText = request.images.length === 0 && request.files.length === 0 && blocks.every((b) => /^The customer wrote:/.test(b.label));
	const topics = knowledge.map((line) => /^([^:]{2,40}):/.exec(line)?.[1]?.toLowerCase()).filter((t): t is string => !!t);
	const facts = relevant.length
		? `From what ${name} told me:\n${relevant.map((line) => `• ${line}`).join('\n')}`
		: onlyText
			? topics.length
				? `I can tell you about ${name}'s ${topics.slice(0, 4).join(', ')}.`
				: `${name} has not given me any business knowledge yet.`
			: undefined;

	const greeting = [OFFLINE_LABEL, memoryOf(request), 'Hi!', understood.join(' ') || 'Thanks for your message.'].filter(Boolean).join(' ');
	return [greeting, facts].filter(Boolean).join('\n\n');
}

/** Simulated transcript for a voice note whose words the sandbox user did not type in. */
export function defaultTranscript(seconds: number): string {
	return `(offline demo transcription of a ${Math.max(1, Math.round(seconds))}-second voice note: no speech recognition without OpenAI)`;
}
