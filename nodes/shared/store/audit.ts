/**
 * The audit log's rules, shared by both backends and free of I/O: the canonical hash, checking entries
 * before they are appended, reading rows back, and verifying the chain. Every entry's hash covers the
 * hash of the entry before it, so altering, removing or reordering an entry breaks the chain from there on.
 */
import { createHash } from 'node:crypto';

import { assertKey, serialiseJson } from './common';
import type { AuditChainVerification, AuditEntry, AuditEntryInput, ListAuditOptions } from './types';

/** The `prevHash` of the first entry, and the head of an empty log. */
export const AUDIT_GENESIS_HASH = '0'.repeat(64);
/** Largest audit detail accepted, in bytes of UTF-8 JSON: the log holds who/what/when, never content. */
export const MAX_AUDIT_DETAIL_BYTES = 8 * 1024;
/** Longest actor, action or state the log accepts. */
export const MAX_AUDIT_LABEL_LENGTH = 128;
/** How many entries `listAudit` returns when no limit is given. */
export const DEFAULT_AUDIT_LIST_LIMIT = 1000;
/** Most entries one `listAudit` call returns, whatever limit is asked for. */
export const MAX_AUDIT_LIST_LIMIT = 10000;

/** Versions the canonical serialisation: a different serialisation must use a different tag. */
const HASH_DOMAIN = 'whatsauto.audit.v1';

/** What {@link auditHash} covers: an entry without its chain fields. */
export type AuditHashInput = Omit<AuditEntry, 'prevHash' | 'hash'>;

/**
 * The hash of an entry: SHA-256, as 64 lowercase hex digits, over a JSON array of a version tag, `prevHash`,
 * seq, at (epoch ms), request id, subject, actor, action, from and to state, and the detail as canonical JSON
 * (object keys sorted at every depth). A JSON array of strings and numbers is unambiguous, whatever the
 * fields contain.
 */
export function auditHash(prevHash: string, entry: AuditHashInput): string {
	const canonical = JSON.stringify([
		HASH_DOMAIN,
		prevHash,
		entry.seq,
		entry.at.getTime(),
		entry.requestId,
		entry.subject,
		entry.actor,
		entry.action,
		entry.fromState,
		entry.toState,
		canonicalJson(entry.detail),
	]);
	return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

/** `value` as JSON (`JSON.stringify`'s rules) with the keys of every object sorted: one text per value. */
export function canonicalJson(value: unknown): string {
	const json = JSON.stringify(value);
	return json === undefined ? 'null' : sortedJson(JSON.parse(json));
}

function sortedJson(value: unknown): string {
	if (Array.isArray(value)) return `[${value.map(sortedJson).join(',')}]`;
	if (value !== null && typeof value === 'object') {
		const object = value as Record<string, unknown>;
		const members = Object.keys(object)
			.sort()
			.map((key) => `${JSON.stringify(key)}:${sortedJson(object[key])}`);
		return `{${members.join(',')}}`;
	}
	return JSON.stringify(value);
}

/** An entry checked and ready to append: every field present, the detail as canonical JSON. */
export interface AuditEntryToWrite {
	requestId: string;
	subject: string;
	actor: string;
	action: string;
	fromState: string;
	toState: string;
	detail: Record<string, unknown>;
	detailJson: string;
}

function assertLabel(what: string, value: unknown, optional: boolean): asserts value is string {
	if (typeof value !== 'string' || (!optional && value.length === 0) || value.length > MAX_AUDIT_LABEL_LENGTH) {
		throw new TypeError(
			`WhatsAuto store: audit ${what} must be a ${optional ? '' : 'non-empty '}string of at most ` +
				`${MAX_AUDIT_LABEL_LENGTH} characters`,
		);
	}
}

/** Validates an entry and serialises its detail, with a clear error for anything the log will not hold. */
export function prepareAuditEntry(entry: AuditEntryInput): AuditEntryToWrite {
	if (entry === null || typeof entry !== 'object') throw new TypeError('WhatsAuto store: audit entry required');
	assertKey('audit requestId', entry.requestId);
	if (typeof entry.subject !== 'string') {
		throw new TypeError("WhatsAuto store: audit subject must be a string (a keyed pseudonym, or '')");
	}
	if (entry.subject !== '') assertKey('audit subject', entry.subject);
	assertLabel('actor', entry.actor, false);
	assertLabel('action', entry.action, false);
	const fromState = entry.fromState ?? '';
	const toState = entry.toState ?? '';
	assertLabel('fromState', fromState, true);
	assertLabel('toState', toState, true);
	const json = serialiseJson(
		'audit detail',
		entry.detail === undefined ? {} : entry.detail,
		MAX_AUDIT_DETAIL_BYTES,
		'the audit log holds small metadata, never content',
	);
	const parsed: unknown = JSON.parse(json);
	if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
		throw new TypeError('WhatsAuto store: audit detail must be a JSON object');
	}
	const detailJson = sortedJson(parsed);
	return {
		requestId: entry.requestId,
		subject: entry.subject,
		actor: entry.actor,
		action: entry.action,
		fromState,
		toState,
		detail: JSON.parse(detailJson) as Record<string, unknown>,
		detailJson,
	};
}

/**
 * The entry `e` becomes once appended as `seq` at `at` after the entry whose hash is `prevHash`, with its
 * hash; and the values for an `audit_log` insert, in {@link AUDIT_COLUMNS} order.
 */
export function chainAuditEntry(
	e: AuditEntryToWrite,
	seq: number,
	at: Date,
	prevHash: string,
): { entry: AuditEntry; values: [number, number, ...string[]] } {
	const { detailJson, ...fields } = e;
	const hash = auditHash(prevHash, { seq, at, ...fields });
	return {
		entry: { seq, at, ...fields, prevHash, hash },
		values: [seq, at.getTime(), e.requestId, e.subject, e.actor, e.action, e.fromState, e.toState, detailJson, prevHash, hash],
	};
}

/** `listAudit` options checked: filters or undefined, `afterSeq` and `limit` within bounds. */
export function normaliseAuditListOptions(options: ListAuditOptions | undefined): {
	requestId?: string;
	subject?: string;
	afterSeq: number;
	limit: number;
} {
	if (options !== undefined && (options === null || typeof options !== 'object')) {
		throw new TypeError('WhatsAuto store: listAudit options must be an object');
	}
	const { requestId, subject, afterSeq = 0, limit = DEFAULT_AUDIT_LIST_LIMIT } = options ?? {};
	if (requestId !== undefined) assertKey('requestId', requestId);
	if (subject !== undefined) assertKey('subject', subject);
	if (typeof afterSeq !== 'number' || !Number.isSafeInteger(afterSeq) || afterSeq < 0) {
		throw new TypeError('WhatsAuto store: listAudit afterSeq must be a non-negative integer');
	}
	if (typeof limit !== 'number' || !Number.isInteger(limit) || limit <= 0) {
		throw new TypeError('WhatsAuto store: listAudit limit must be a positive integer');
	}
	return { requestId, subject, afterSeq, limit: Math.min(limit, MAX_AUDIT_LIST_LIMIT) };
}

/** The columns of `audit_log`, in the order both backends select them. */
export const AUDIT_COLUMNS =
	'seq, at, request_id, subject, actor, action, from_state, to_state, detail, prev_hash, hash';

/** An `audit_log` row as either driver returns it (PostgreSQL BIGINTs arrive as strings). */
export interface AuditRow {
	seq: number | bigint | string;
	at: number | bigint | string;
	request_id: string;
	subject: string;
	actor: string;
	action: string;
	from_state: string;
	to_state: string;
	detail: string;
	prev_hash: string;
	hash: string;
}

/** The `audit_head` row: the seq and hash of the last entry appended (0 and genesis for an empty log). */
export interface AuditHeadRow {
	seq: number | bigint | string;
	hash: string;
}

export function toAuditEntry(row: AuditRow): AuditEntry {
	let detail: Record<string, unknown>;
	try {
		detail = JSON.parse(row.detail) as Record<string, unknown>;
	} catch (error) {
		throw new Error(`WhatsAuto store: audit entry ${row.seq} does not hold valid JSON detail`, { cause: error });
	}
	if (detail === null || typeof detail !== 'object' || Array.isArray(detail)) {
		throw new Error(`WhatsAuto store: audit entry ${row.seq} does not hold a JSON object as detail`);
	}
	return {
		seq: Number(row.seq),
		at: new Date(Number(row.at)),
		requestId: row.request_id,
		subject: row.subject,
		actor: row.actor,
		action: row.action,
		fromState: row.from_state,
		toState: row.to_state,
		detail,
		prevHash: row.prev_hash,
		hash: row.hash,
	};
}

type AuditChainBreak = Extract<AuditChainVerification, { ok: false }>;

/**
 * Verifies a chain fed row by row in ascending seq (both backends stream their rows through one of these),
 * against the head read in the same snapshot. Stops at the first break.
 */
export class AuditChainVerifier {
	private prevHash = AUDIT_GENESIS_HASH;

	private lastSeq = 0;

	private entries = 0;

	private broken: AuditChainBreak | undefined;

	private readonly head: { seq: number; hash: string } | undefined;

	constructor(head: AuditHeadRow | undefined) {
		this.head = head && { seq: Number(head.seq), hash: head.hash };
		if (!this.head) this.broken = { ok: false, brokenAtSeq: 0, reason: 'the head of the audit log is missing' };
	}

	/** Checks the next row; false once the chain is broken (feed no more). */
	add(row: AuditRow): boolean {
		if (this.broken || !this.head) return false;
		const seq = Number(row.seq);
		const fail = (reason: string) => {
			this.broken = { ok: false, brokenAtSeq: seq, reason };
			return false;
		};
		if (seq > this.head.seq) {
			return fail(`entry lies beyond the head of the log (seq ${this.head.seq}): it was not appended by the store`);
		}
		let entry: AuditEntry;
		try {
			entry = toAuditEntry(row);
		} catch {
			return fail('entry does not hold a JSON object as detail: it was altered');
		}
		if (auditHash(row.prev_hash, entry) !== row.hash) return fail('entry does not match its hash: it was altered');
		if (row.prev_hash !== this.prevHash) {
			return fail('entry does not link to the hash of the entry before it: an entry was removed, inserted or reordered');
		}
		this.prevHash = row.hash;
		this.lastSeq = seq;
		this.entries++;
		return true;
	}

	/** The verdict once every row has been fed (or the chain broke). */
	result(): AuditChainVerification {
		if (this.broken || !this.head) return this.broken!;
		if (this.lastSeq < this.head.seq) {
			return {
				ok: false,
				brokenAtSeq: this.head.seq,
				reason: `the log ends at seq ${this.lastSeq} but its head is at seq ${this.head.seq}: entries were removed from the end`,
			};
		}
		if (this.prevHash !== this.head.hash) {
			return {
				ok: false,
				brokenAtSeq: this.head.seq,
				reason: 'the last entry does not match the hash its head recorded: it was rewritten',
			};
		}
		return { ok: true, entries: this.entries };
	}
}
