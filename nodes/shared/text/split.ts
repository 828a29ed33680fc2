/** WhatsApp's limit for the body of a text message, in UTF-16 code units. */
export const MAX_WHATSAPP_TEXT = 4096;

/**
 * Where a message may be cut. `end` closes the earlier part, `next` opens the later one; the whitespace
 * between them is dropped. `block` is set when the cut falls inside a code block that is too long to
 * send whole, so the earlier part must close the fence and the later one reopen it.
 */
interface Cut {
	end: number;
	next: number;
	rank: Rank;
	block?: CodeBlock;
}

interface CodeBlock {
	/** Index of the opening fence's first character. */
	start: number;
	/** Index just past the closing fence line, or the text's end when the block is never closed. */
	end: number;
	/** First character of the content (after the opening fence line). */
	contentStart: number;
	/** The newline before the closing fence, or the text's end. */
	contentEnd: number;
	openLine: string;
	fence: string;
	splittable: boolean;
}

/** Lower is better. Hard cuts are only ever taken when a window has no other cut. */
enum Rank {
	Paragraph = 0,
	Line = 1,
	Sentence = 10,
	Space = 100,
	Hard = 10_000,
}

const WHITESPACE = /[^\S\u00a0\u2007\u202f]+/g;
const SENTENCE_END = /[.!?…।॥۔؟。！？]/;
const CLOSING_PUNCTUATION = /["'”’»)\]}]/;
const UNSPACED_SENTENCE_END = /[。！？]/;
const UNSPACED_CLAUSE_END = /[，、；]/;

/**
 * Splits a reply into as few messages as possible, each at most `maxChars` UTF-16 code units. Among splits
 * with the fewest parts it prefers cutting between paragraphs, then lines, then sentences (including
 * । ۔ 。 ؟), then words; a word or grapheme is cut only when a window has nothing better. A ``` code block
 * that fits in one message is never split; a longer one is split between lines, each part closing and
 * reopening the fence. Parts are trimmed; empty parts are dropped.
 */
export function splitMessage(text: string, maxChars = MAX_WHATSAPP_TEXT): string[] {
	const max = Math.floor(maxChars);
	if (!(max >= 1)) throw new RangeError(`splitMessage: maxChars must be at least 1, got ${maxChars}`);
	const source = text.replace(/\r\n?/g, '\n').trim();
	if (!source) return [];
	if (source.length <= max) return [source];

	const blocks = findCodeBlocks(source, max);
	const cuts = findCuts(source, blocks);
	return plan(source, cuts, blocks, max)
		.map((part) => part.trim())
		.filter((part) => part.length > 0);
}

function findCodeBlocks(text: string, max: number): CodeBlock[] {
	const blocks: CodeBlock[] = [];
	const lineStarts = [0];
	for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lineStarts.push(i + 1);
	const lineAt = (k: number) => {
		const end = text.indexOf('\n', lineStarts[k]);
		return text.slice(lineStarts[k], end < 0 ? text.length : end);
	};

	for (let k = 0; k < lineStarts.length; k++) {
		const open = /^( {0,3})(`{3,}|~{3,})(.*)$/.exec(lineAt(k));
		if (!open || (open[2][0] === '`' && open[3].includes('`'))) continue;
		const start = lineStarts[k] + open[1].length;
		const contentStart = Math.min(lineStarts[k] + lineAt(k).length + 1, text.length);
		let close = k + 1;
		for (; close < lineStarts.length; close++) {
			const fence = /^ {0,3}(`{3,}|~{3,})[ \t]*$/.exec(lineAt(close));
			if (fence && fence[1][0] === open[2][0] && fence[1].length >= open[2].length) break;
		}
		const closed = close < lineStarts.length;
		const contentEnd = closed ? Math.max(lineStarts[close] - 1, contentStart) : text.length;
		const end = closed ? lineStarts[close] + lineAt(close).length : text.length;
		const openLine = open[2] + open[3].trimEnd();
		const block: CodeBlock = { start, end, contentStart, contentEnd, openLine, fence: open[2], splittable: false };
		const overhead = openLine.length + 1 + block.fence.length + 1;
		block.splittable = end - start > max && max > overhead;
		blocks.push(block);
		k = close;
	}
	return blocks;
}

function findCuts(text: string, blocks: CodeBlock[]): Cut[] {
	const cuts: Cut[] = [];
	const inBlock = (from: number, to: number) => blocks.some((b) => from < b.end && to > b.start);

	for (const match of text.matchAll(WHITESPACE)) {
		const end = match.index!;
		const next = end + match[0].length;
		if (inBlock(end, next)) continue;
		const newlines = count(match[0], '\n');
		let rank = Rank.Space;
		if (newlines >= 2) rank = Rank.Paragraph;
		else if (newlines === 1) rank = Rank.Line;
		else if (endsSentence(text, end)) rank = Rank.Sentence;
		cuts.push({ end, next, rank });
	}

	for (let i = 1; i < text.length; i++) {
		const ch = text[i - 1];
		const unspaced = UNSPACED_SENTENCE_END.test(ch) || UNSPACED_CLAUSE_END.test(ch);
		if (!unspaced || /\s/.test(text[i]) || inBlock(i - 1, i + 1)) continue;
		cuts.push({ end: i, next: i, rank: UNSPACED_SENTENCE_END.test(ch) ? Rank.Sentence : Rank.Space });
	}

	for (const block of blocks) {
		if (!block.splittable) continue;
		for (let i = text.indexOf('\n', block.contentStart); i >= 0 && i + 1 < block.contentEnd; ) {
			cuts.push({ end: i, next: i + 1, rank: Rank.Line, block });
			i = text.indexOf('\n', i + 1);
		}
	}
	return cuts.sort((a, b) => a.end - b.end);
}

function endsSentence(text: string, end: number): boolean {
	let i = end - 1;
	while (i > 0 && CLOSING_PUNCTUATION.test(text[i])) i--;
	return i >= 0 && SENTENCE_END.test(text[i]);
}

/**
 * Chooses the cuts: fewest parts first, then the lowest total penalty, then the fullest early parts.
 * Every place a part can start is a node; nodes are solved from the end of the text backwards.
 */
function plan(text: string, cuts: Cut[], blocks: CodeBlock[], max: number): string[] {
	const reopened = new Map<number, CodeBlock | undefined>([[0, undefined]]);
	for (const cut of cuts) reopened.set(cut.next, cut.block);
	const headLength = (start: number) => {
		const block = reopened.get(start);
		return block ? block.openLine.length + 1 : 0;
	};
	const fits = (start: number, head: number, cut: Cut) =>
		head + cut.end - start + (cut.block ? cut.block.fence.length + 1 : 0) <= max;
	const fitsToEnd = (start: number) => headLength(start) + text.length - start <= max;
	/** The cuts that can end a part starting at `start`, nearest first. */
	const candidates = (start: number, firstOnly = false): Cut[] => {
		const head = headLength(start);
		const found: Cut[] = [];
		for (let k = firstCutAfter(cuts, start); k < cuts.length && cuts[k].end - start <= max; k++) {
			if (!fits(start, head, cuts[k])) continue;
			found.push(cuts[k]);
			if (firstOnly) break;
		}
		return found;
	};

	const hardCuts = new Map<number, Cut>();
	const pending = [...reopened.keys()];
	while (pending.length) {
		const start = pending.pop()!;
		if (fitsToEnd(start) || candidates(start, true).length) continue;
		const cut = hardCut(text, start, reopened.get(start), blocks, max);
		hardCuts.set(start, cut);
		if (!reopened.has(cut.next)) {
			reopened.set(cut.next, cut.block);
			pending.push(cut.next);
		}
	}

	const parts = new Float64Array(text.length + 1);
	const penalty = new Float64Array(text.length + 1);
	const chosen = new Map<number, Cut>();
	for (const start of [...reopened.keys()].sort((a, b) => b - a)) {
		if (fitsToEnd(start)) {
			parts[start] = 1;
			continue;
		}
		parts[start] = Infinity;
		const hard = hardCuts.get(start);
		for (const cut of hard ? [hard] : candidates(start)) {
			const p = parts[cut.next] + 1;
			const q = penalty[cut.next] + cut.rank;
			if (p < parts[start] || (p === parts[start] && q <= penalty[start])) {
				parts[start] = p;
				penalty[start] = q;
				chosen.set(start, cut);
			}
		}
	}

	const messages: string[] = [];
	for (let start: number | undefined = 0; start !== undefined; ) {
		const cut = chosen.get(start);
		const block = reopened.get(start);
		const head = block ? `${block.openLine}\n` : '';
		const tail = cut?.block ? `\n${cut.block.fence}` : '';
		messages.push(head + text.slice(start, cut ? cut.end : text.length) + tail);
		start = cut?.next;
	}
	return messages;
}

function firstCutAfter(cuts: Cut[], start: number): number {
	let lo = 0;
	let hi = cuts.length;
	while (lo < hi) {
		const mid = (lo + hi) >> 1;
		if (cuts[mid].end <= start) lo = mid + 1;
		else hi = mid;
	}
	return lo;
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** The furthest cut from `start` that fits, on a grapheme boundary where one fits, else on a code point. */
function hardCut(text: string, start: number, reopen: CodeBlock | undefined, blocks: CodeBlock[], max: number): Cut {
	const room = max - (reopen ? reopen.openLine.length + 1 : 0);
	let cut = hardCutWithin(text, start, Math.min(start + room, text.length), blocks);
	if (cut.block && cut.end - start + cut.block.fence.length + 1 > room) {
		cut = hardCutWithin(text, start, start + room - cut.block.fence.length - 1, blocks);
	}
	return cut;
}

function hardCutWithin(text: string, start: number, limit: number, blocks: CodeBlock[]): Cut {
	let end = start;
	for (const { index } of graphemes.segment(text.slice(start, Math.min(text.length, limit + 32)))) {
		if (start + index > limit) break;
		end = start + index;
	}
	if (end <= start) {
		end = Math.max(limit, start + 1);
		if (isLowSurrogate(text, end) && end - 1 > start) end--;
	}
	const block = blocks.find((b) => b.splittable && end > b.contentStart && end < b.contentEnd);
	return { end, next: end, rank: Rank.Hard, block };
}

function isLowSurrogate(text: string, i: number): boolean {
	const code = text.charCodeAt(i);
	return code >= 0xdc00 && code <= 0xdfff;
}

function count(text: string, ch: string): number {
	return text.split(ch).length - 1;
}
