/**
 * The audit log's rules, shared by both backends and free of I/O: the canonical hashes, checking entries
 * before they are appended, reading rows back, and verifying the chain. Every entry's hash covers the
 * hash of the entry before it, so altering, removing or reordering an entry breaks the chain from there on;
 * the hash is keyed (HMAC-SHA256 under a key derived from the store secret), so nobody without the secret can
 * re-hash what they changed. The entry's subject (a pseudonym) is kept apart, in `audit_subjects`, with a
 * random salt; the hash covers a salted commitment to it, so erasure can delete subject and salt and the chain
 * still verifies.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';

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

/** Domain tags of what is hashed: a different serialisation must use a different tag. */
const UNKEYED_DOMAIN = 'whatsauto.audit.v1';
const KEYED_DOMAIN = 'whatsauto.audit.v2';
const SUBJECT_DOMAIN = 'whatsauto.audit.subject.v2';
const SEAL_DOMAIN = 'whatsauto.audit.v1.seal';
const HEAD_DOMAIN = 'whatsauto.audit.head.v2';
const REFILE_DOMAIN = 'whatsauto.audit.refile.v1';

/** What {@link unkeyedAuditHash} covers: an entry without its chain fields. */
export type AuditHashInput = Omit<AuditEntry, 'prevHash' | 'hash'>;

/** What {@link auditHash} covers: an entry without its chain fields, its subject replaced by a commitment to it. */
export type KeyedAuditHashInput = Omit<AuditHashInput, 'subject'> & { subjectCommit: string };

/** Throws unless `key` is a 32-byte Buffer (the audit key derived from the store secret). */
export function assertAuditKey(key: unknown): asserts key is Buffer {
	if (!Buffer.isBuffer(key) || key.length !== 32) {
		throw new TypeError('WhatsAuto store: the audit key must be a 32-byte Buffer (derived from the store secret)');
	}
}

const hmac = (key: Buffer, parts: unknown[]) => createHmac('sha256', key).update(JSON.stringify(parts), 'utf8').digest('hex');

/**
 * The hash of an entry written before schema version 5 (unkeyed): SHA-256, as 64 lowercase hex digits, over
 * a JSON array of a version tag, `prevHash`, seq, at (epoch ms), request id, subject, actor, action, from and to
 * state, and the detail as canonical JSON (object keys sorted at every depth). Anyone can compute it: entries
 * are no longer written this way, only verified.
 */
export function unkeyedAuditHash(prevHash: string, entry: AuditHashInput): string {
	const canonical = JSON.stringify([
		UNKEYED_DOMAIN,
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

/**
 * The hash of an entry: HMAC-SHA256 under the audit key, as 64 lowercase hex digits, over a JSON array of a
 * version tag, `prevHash`, seq, at (epoch ms), request id, the subject commitment, actor, action, from and to
 * state, and the detail as canonical JSON. A JSON array of strings and numbers is unambiguous, whatever the
 * fields contain; without the key nobody can recompute it.
 */
export function auditHash(key: Buffer, prevHash: string, entry: KeyedAuditHashInput): string {
	assertAuditKey(key);
	return hmac(key, [
		KEYED_DOMAIN,
		prevHash,
		entry.seq,
		entry.at.getTime(),
		entry.requestId,
		entry.subjectCommit,
		entry.actor,
		entry.action,
		entry.fromState,
		entry.toState,
		canonicalJson(entry.detail),
	]);
}

/**
 * What an entry's hash covers of its subject: HMAC-SHA256 under the audit key of a random salt and the
 * subject ('' for an entry without one). The salt is kept with the subject, apart from the entry, and erased
 * with it: afterwards nobody, the key's holder included, can test a pseudonym against the commitment.
 */
export function subjectCommitment(key: Buffer, salt: string, subject: string): string {
	assertAuditKey(key);
	return subject === '' ? '' : hmac(key, [SUBJECT_DOMAIN, salt, subject]);
}

/**
 * The seal the first keyed append gives an entry written before the log was keyed: HMAC-SHA256 under the audit
 * key over everything but its subject, its unkeyed hash included. Once erasure took the subject, the unkeyed
 * hash cannot be recomputed: the seal still vouches for the rest.
 */
export function auditSeal(key: Buffer, entry: Omit<AuditHashInput, 'subject'> & { prevHash: string; hash: string }): string {
	assertAuditKey(key);
	return hmac(key, [
		SEAL_DOMAIN,
		entry.prevHash,
		entry.seq,
		entry.at.getTime(),
		entry.requestId,
		entry.actor,
		entry.action,
		entry.fromState,
		entry.toState,
		canonicalJson(entry.detail),
		entry.hash,
	]);
}

/**
 * What vouches for an entry filed under another subject than the one its hash commits to (the person moved to a
 * new id: `rekeyContact`): HMAC-SHA256 under the audit key over the entry's seq and hash and the subject it is
 * filed under now. Only the key's holder can move an entry to another person; the original subject is not kept.
 */
export function auditRefileMac(key: Buffer, seq: number, hash: string, subject: string): string {
	assertAuditKey(key);
	return hmac(key, [REFILE_DOMAIN, seq, hash, subject]);
}

/** The MAC of the log's head: the last seq and hash, and where keyed entries start. */
export function auditHeadMac(key: Buffer, head: { seq: number; hash: string; keyedFrom: number }): string {
	assertAuditKey(key);
	return hmac(key, [HEAD_DOMAIN, head.seq, head.hash, head.keyedFrom]);
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

/** What one append writes: the entry, its `audit_log` values (in {@link AUDIT_INSERT_COLUMNS} order), its subject row. */
export interface ChainedAuditEntry {
	entry: AuditEntry;
	values: [number, number, ...string[]];
	/** seq, subject and salt for `audit_subjects`; absent for an entry without a subject. */
	subject?: [number, string, string];
}

/**
 * The entry `e` becomes once appended as `seq` at `at` after the entry whose hash is `prevHash`, hashed with
 * `key`; the values for its `audit_log` insert; and its subject row, with a fresh random salt.
 */
export function chainAuditEntry(e: AuditEntryToWrite, seq: number, at: Date, prevHash: string, key: Buffer): ChainedAuditEntry {
	const { detailJson, subject, ...fields } = e;
	const salt = subject === '' ? '' : randomBytes(16).toString('hex');
	const subjectCommit = subjectCommitment(key, salt, subject);
	const hash = auditHash(key, prevHash, { seq, at, ...fields, subjectCommit });
	return {
		entry: { seq, at, ...fields, subject, prevHash, hash },
		values: [seq, at.getTime(), e.requestId, e.actor, e.action, e.fromState, e.toState, detailJson, prevHash, hash, subjectCommit],
		...(subject === '' ? {} : { subject: [seq, subject, salt] as [number, string, string] }),
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

/** The `audit_log` columns an append writes (its subject goes to `audit_subjects`). */
export const AUDIT_INSERT_COLUMNS = 'seq, at, request_id, actor, action, from_state, to_state, detail, prev_hash, hash, subject_commit';

/** `audit_log` as `a`, each entry with its subject ('' once erased, or for none) from `audit_subjects` as `s`. */
export const AUDIT_FROM = 'audit_log a LEFT JOIN audit_subjects s ON s.seq = a.seq';

/** What listing selects FROM {@link AUDIT_FROM}, in the order both backends read it. */
export const AUDIT_COLUMNS =
	"a.seq, a.at, a.request_id, COALESCE(s.contact_key, '') AS subject, a.actor, a.action, a.from_state, a.to_state, a.detail, a.prev_hash, a.hash";

/**
 * What verification selects FROM {@link AUDIT_FROM}: the subject as stored (null when none), its salt, its
 * re-filing MAC (null unless it moved to a new id), the seal.
 */
export const AUDIT_VERIFY_COLUMNS =
	'a.seq, a.at, a.request_id, s.contact_key AS subject, s.salt AS salt, s.refiled AS refiled, a.subject AS log_subject, a.actor, a.action, ' +
	'a.from_state, a.to_state, a.detail, a.prev_hash, a.hash, a.subject_commit, a.seal';

/** An audit entry as either driver returns it FROM {@link AUDIT_FROM} (PostgreSQL BIGINTs arrive as strings). */
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

/** An audit entry as verification reads it ({@link AUDIT_VERIFY_COLUMNS}). */
export interface AuditVerifyRow extends Omit<AuditRow, 'subject'> {
	/** The subject in `audit_subjects`, null when it has none (never had, or erased). */
	subject: string | null;
	salt: string | null;
	/** {@link auditRefileMac} when the subject moved to a new id (schema version 6), else null. */
	refiled: string | null;
	/** `audit_log.subject`: '' since schema version 5 (subjects live apart). */
	log_subject: string;
	subject_commit: string;
	seal: string | null;
}

/**
 * The `audit_head` row: the seq and hash of the last entry appended (0 and genesis for an empty log), the
 * first seq hashed with the key (entries before it predate schema version 5), and the head's MAC (null until
 * the first keyed append).
 */
export interface AuditHeadRow {
	seq: number | bigint | string;
	hash: string;
	keyed_from: number | bigint | string;
	mac: string | null;
}

/** The head's MAC as it must be after appending `seq` with `hash`: null when the head before was not trustworthy. */
export function nextHeadMac(key: Buffer, before: AuditHeadRow, seq: number, hash: string): string | null {
	const keyedFrom = Number(before.keyed_from);
	const trusted =
		before.mac === null
			? Number(before.seq) < keyedFrom // nothing keyed yet: this append is the first
			: before.mac === auditHeadMac(key, { seq: Number(before.seq), hash: before.hash, keyedFrom });
	// A head that fails its MAC stays unsealed for good: appending must not bless a log cut back behind it.
	return trusted ? auditHeadMac(key, { seq, hash, keyedFrom }) : null;
}

/** Whether the entries written before the log was keyed still need their seals: true only before the first keyed append. */
export function needsSeals(head: AuditHeadRow): boolean {
	return head.mac === null && Number(head.seq) > 0 && Number(head.seq) < Number(head.keyed_from);
}

/**
 * The seals for the entries written before the log was keyed, fed row by row in ascending seq, or undefined
 * when they do not verify as they are (then none is sealed, and verification keeps reporting the break).
 */
export class UnkeyedSealer {
	private prevHash = AUDIT_GENESIS_HASH;

	private lastSeq = 0;

	private failed = false;

	readonly seals: Array<[string, number]> = [];

	constructor(
		private readonly head: AuditHeadRow,
		private readonly key: Buffer,
	) {}

	add(row: AuditVerifyRow): boolean {
		if (this.failed) return false;
		const seq = Number(row.seq);
		const entry = entryOf(row);
		if (!entry || row.prev_hash !== this.prevHash || unkeyedAuditHash(row.prev_hash, { ...entry, subject: row.subject ?? '' }) !== row.hash) {
			this.failed = true;
			return false;
		}
		this.seals.push([auditSeal(this.key, { ...entry, prevHash: row.prev_hash, hash: row.hash }), seq]);
		this.prevHash = row.hash;
		this.lastSeq = seq;
		return true;
	}

	/** The seals (seal, seq) to write, or undefined. */
	result(): Array<[string, number]> | undefined {
		const complete = !this.failed && this.lastSeq === Number(this.head.seq) && this.prevHash === this.head.hash;
		return complete ? this.seals : undefined;
	}
}

function entryOf(row: AuditVerifyRow): Omit<AuditEntry, 'subject' | 'prevHash' | 'hash'> | undefined {
	try {
		const { subject: _subject, prevHash: _prev, hash: _hash, ...entry } = toAuditEntry({ ...row, subject: '' });
		return entry;
	} catch {
		return undefined;
	}
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

const ALTERED = 'entry does not match its hash: it was altered';
const MOVED = 'entry does not match the subject it is filed under: it was moved to another person';

/**
 * Verifies a chain fed row by row in ascending seq (both backends stream their rows through one of these),
 * against the head read in the same snapshot, with the audit key. Stops at the first break.
 */
export class AuditChainVerifier {
	private prevHash = AUDIT_GENESIS_HASH;

	private lastSeq = 0;

	private entries = 0;

	private unkeyed = 0;

	private broken: AuditChainBreak | undefined;

	private readonly head: { seq: number; hash: string; keyedFrom: number; mac: string | null } | undefined;

	constructor(
		head: AuditHeadRow | undefined,
		private readonly key: Buffer,
	) {
		assertAuditKey(key);
		this.head = head && { seq: Number(head.seq), hash: head.hash, keyedFrom: Number(head.keyed_from), mac: head.mac };
		if (!this.head) this.broken = { ok: false, brokenAtSeq: 0, reason: 'the head of the audit log is missing' };
	}

	/** Checks the next row; false once the chain is broken (feed no more). */
	add(row: AuditVerifyRow): boolean {
		if (this.broken || !this.head) return false;
		const seq = Number(row.seq);
		const fail = (reason: string) => {
			this.broken = { ok: false, brokenAtSeq: seq, reason };
			return false;
		};
		if (seq > this.head.seq) {
			return fail(`entry lies beyond the head of the log (seq ${this.head.seq}): it was not appended by the store`);
		}
		const entry = entryOf(row);
		if (!entry) return fail('entry does not hold a JSON object as detail: it was altered');
		if (row.log_subject) return fail('entry carries a subject in the log itself: it was altered');
		// Re-filed under a new id of the same person (rekeyContact): the MAC vouches for where it is filed now.
		const refiled = row.refiled !== null && row.refiled !== undefined;
		if (refiled && (row.subject === null || row.refiled !== auditRefileMac(this.key, seq, row.hash, row.subject))) return fail(MOVED);
		if (seq < this.head.keyedFrom) {
			// Written before the log was keyed: its unkeyed hash, over the subject when it is still the original one.
			const original = refiled ? null : row.subject;
			const matches = unkeyedAuditHash(row.prev_hash, { ...entry, subject: original ?? '' }) === row.hash;
			if (row.seal !== null) {
				if (row.seal !== auditSeal(this.key, { ...entry, prevHash: row.prev_hash, hash: row.hash })) return fail(ALTERED);
				// Not matching without its original subject: erasure took it (or it was re-filed), and the seal vouches for the rest.
				if (!matches && original !== null) return fail(ALTERED);
			} else if (!matches) {
				return fail(ALTERED);
			}
			this.unkeyed++;
		} else {
			const committed = row.subject_commit !== '' && subjectCommitment(this.key, row.salt ?? '', row.subject ?? '') === row.subject_commit;
			if (row.subject !== null && !refiled && !committed) return fail(MOVED);
			if (auditHash(this.key, row.prev_hash, { ...entry, subjectCommit: row.subject_commit }) !== row.hash) return fail(ALTERED);
		}
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
		const head = this.head;
		if (this.lastSeq < head.seq) {
			return {
				ok: false,
				brokenAtSeq: head.seq,
				reason: `the log ends at seq ${this.lastSeq} but its head is at seq ${head.seq}: entries were removed from the end`,
			};
		}
		if (this.prevHash !== head.hash) {
			return {
				ok: false,
				brokenAtSeq: head.seq,
				reason: 'the last entry does not match the hash its head recorded: it was rewritten',
			};
		}
		if (head.mac === null ? head.seq >= head.keyedFrom : head.mac !== auditHeadMac(this.key, head)) {
			return {
				ok: false,
				brokenAtSeq: head.seq,
				reason: 'the head of the audit log does not match its key-sealed MAC: it was moved (entries removed from the end?), or the key differs',
			};
		}
		return { ok: true, entries: this.entries, ...(this.unkeyed ? { unkeyedEntries: this.unkeyed } : {}) };
	}
}
