import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { setTimeout as sleep } from 'node:timers/promises';

import {
	assertAuditKey,
	AUDIT_COLUMNS,
	AUDIT_FROM,
	AUDIT_INSERT_COLUMNS,
	AUDIT_VERIFY_COLUMNS,
	auditRefileMac,
	chainAuditEntry,
	AuditChainVerifier,
	type AuditHeadRow,
	type AuditRow,
	type AuditVerifyRow,
	needsSeals,
	nextHeadMac,
	normaliseAuditListOptions,
	prepareAuditEntry,
	toAuditEntry,
	UnkeyedSealer,
} from './audit';
import {
	assertContentEntry,
	assertKey,
	CLOSED_MESSAGE,
	NO_DUE_DATE,
	normaliseListOptions,
	normaliseStateListOptions,
	normaliseTtl,
	prepareRecord,
	logPurgeError,
	purgeIntervalOf,
	type PurgeScheduleOptions,
	PurgeTimer,
	recordPageOf,
	type RecordRow,
	contentEntryOf,
	type ContentRow,
	toCount,
	toStoredRecord,
	prepareCounter,
} from './common';
import { CONTACT_TABLES, EXPIRING_TABLES, MIGRATIONS, MIGRATIONS_TABLE, type Migration } from './migrations';
import { PERSON_KEYED_SCOPES } from './scopes';
import { INBOX_COLUMNS, inboxWaiting, inboxSummaryOf, normaliseLeaseOptions, turnsOf, type InboxLeasedRow } from './inboxCommon';
import type {
	AuditChainVerification,
	AuditEntry,
	AuditEntryInput,
	ContentEntry,
	CounterInput,
	StoredCounter,
	CounterResult,
	InboxAdmission,
	InboxSummary,
	InboxTurn,
	LeaseTurnsOptions,
	ListAuditOptions,
	ListRecordsByStateOptions,
	ListRecordsOptions,
	RecordInput,
	RecordPage,
	SqliteStoreConfig,
	StoreBackend,
	StoreOpenOptions,
	StoredRecord,
	WhatsAutoStore,
} from './types';

/** How long one statement waits for another process's write lock before failing with SQLITE_BUSY. */
export const SQLITE_BUSY_TIMEOUT_MS = 5000;
/** Bound on retrying the few steps SQLite may refuse without consulting the busy handler (WAL switch). */
const OPEN_RETRY_MS = 15000;
/** Where `content` is in EXPIRING_TABLES (and so in the purge's counts). */
const CONTENT_TABLE_INDEX = EXPIRING_TABLES.indexOf('content');

/**
 * The store in one SQLite file through Node's built-in `node:sqlite`. WAL mode plus a busy timeout let
 * every process of one n8n instance share the file; claims are a single upsert statement, so exactly one
 * caller wins across processes.
 */
export class SqliteStore implements WhatsAutoStore {
	readonly backend: StoreBackend = 'sqlite';

	private closed = false;

	private readonly claimStmt: StatementSync;

	private readonly releaseStmt: StatementSync;

	private readonly putStmt: StatementSync;

	private readonly getStmt: StatementSync;

	private readonly deleteStmt: StatementSync;

	private readonly putRecordStmt: StatementSync;

	private readonly getRecordStmt: StatementSync;

	private readonly deleteRecordStmt: StatementSync;

	private readonly listRecordsStmt: StatementSync;

	private readonly listContentStmt: StatementSync;

	private readonly listContactRecordsStmt: StatementSync;

	private readonly listByStateStmt: StatementSync;

	private readonly auditHeadStmt: StatementSync;

	private readonly auditNextSeqStmt: StatementSync;

	private readonly auditInsertStmt: StatementSync;

	private readonly auditMoveHeadStmt: StatementSync;

	private readonly auditInsertSubjectStmt: StatementSync;

	private readonly auditUnkeyedStmt: StatementSync;

	private readonly auditSealStmt: StatementSync;

	private readonly auditAllStmt: StatementSync;

	/** listAudit statements by filter: '' none, 'r' request, 's' subject, 'rs' both. */
	private readonly auditListStmts: Record<'' | 'r' | 's' | 'rs', StatementSync>;

	private readonly versionStmt: StatementSync;

	private readonly counterRowStmt: StatementSync;

	private readonly counterSetStmt: StatementSync;

	private readonly counterResetStmt: StatementSync;

	private readonly getCounterStmt: StatementSync;
	private readonly listCountersStmt: StatementSync;

	private readonly countRecordsStmt: StatementSync;

	private readonly purgeStmts: StatementSync[];

	private readonly eraseStmts: StatementSync[];

	/** Purges expired rows every minute or so while the store is open (see PurgeTimer). */
	private readonly purgeTimer: PurgeTimer;

	/** Content was deleted (once answered) since the WAL was last emptied: the next purge empties it. */
	private contentDeleted = false;

	private constructor(
		private readonly db: DatabaseSync,
		readonly path: string,
		private readonly onClose?: () => void,
		purge: PurgeScheduleOptions = {},
	) {
		this.claimStmt = db.prepare(
			`INSERT INTO claims (scope, key, expires_at) VALUES (?, ?, ?)
			 ON CONFLICT (scope, key) DO UPDATE SET expires_at = excluded.expires_at
			 WHERE claims.expires_at <= ?
			 RETURNING 1 AS won`,
		);
		this.releaseStmt = db.prepare(
			'DELETE FROM claims WHERE scope = ? AND key = ? RETURNING expires_at > ? AS live',
		);
		this.putStmt = db.prepare(
			`INSERT INTO content (ref, contact_key, data, expires_at) VALUES (?, ?, ?, ?)
			 ON CONFLICT (ref) DO UPDATE SET contact_key = excluded.contact_key, data = excluded.data,
			 expires_at = excluded.expires_at`,
		);
		this.getStmt = db.prepare(
			'SELECT ref, contact_key, data, expires_at FROM content WHERE ref = ? AND expires_at > ?',
		);
		this.deleteStmt = db.prepare('DELETE FROM content WHERE ref = ?');
		this.listContentStmt = db.prepare(
			'SELECT ref, contact_key, data, expires_at FROM content WHERE contact_key = ? AND expires_at > ? ORDER BY expires_at, ref LIMIT 1000',
		);
		// excluded.created_at is now: a record replaced after it expired counts as new.
		this.putRecordStmt = db.prepare(
			`INSERT INTO records (scope, key, contact_key, value, created_at, expires_at, state, due_at)
			 VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			 ON CONFLICT (scope, key) DO UPDATE SET contact_key = excluded.contact_key, value = excluded.value,
			 expires_at = excluded.expires_at, state = excluded.state, due_at = excluded.due_at,
			 created_at = CASE WHEN records.expires_at > excluded.created_at THEN records.created_at
			 ELSE excluded.created_at END`,
		);
		const recordColumns = 'scope, key, contact_key, value, created_at, expires_at';
		this.getRecordStmt = db.prepare(
			`SELECT ${recordColumns} FROM records WHERE scope = ? AND key = ? AND expires_at > ?`,
		);
		this.deleteRecordStmt = db.prepare('DELETE FROM records WHERE scope = ? AND key = ?');
		this.listRecordsStmt = db.prepare(
			`SELECT ${recordColumns} FROM records WHERE scope = ? AND expires_at > ?
			 ORDER BY created_at DESC, key ASC LIMIT ?`,
		);
		this.listContactRecordsStmt = db.prepare(
			`SELECT ${recordColumns} FROM records WHERE scope = ? AND contact_key = ? AND expires_at > ?
			 ORDER BY created_at DESC, key ASC LIMIT ?`,
		);
		// Records in some states, soonest due first (undated last), after a cursor: the index on (scope, state,
		// due_at, key) finds them, however many records in other states the scope holds.
		this.listByStateStmt = db.prepare(
			`SELECT ${recordColumns}, COALESCE(due_at, ${NO_DUE_DATE}) AS sort_due FROM records
			 WHERE scope = ? AND state IN (SELECT value FROM json_each(?)) AND expires_at > ?
			 AND COALESCE(due_at, ${NO_DUE_DATE}) <= ? AND (COALESCE(due_at, ${NO_DUE_DATE}), key) > (?, ?)
			 ORDER BY sort_due, key LIMIT ?`,
		);
		this.auditHeadStmt = db.prepare('SELECT seq, hash, keyed_from, mac FROM audit_head WHERE id = 1');
		// What AUTOINCREMENT would pick next: past every seq ever used, even one since deleted.
		this.auditNextSeqStmt = db.prepare(
			`SELECT MAX(n) AS seq FROM (
				SELECT seq AS n FROM sqlite_sequence WHERE name = 'audit_log'
				UNION ALL SELECT MAX(seq) FROM audit_log
				UNION ALL SELECT seq FROM audit_head WHERE id = 1
			)`,
		);
		this.auditInsertStmt = db.prepare(`INSERT INTO audit_log (${AUDIT_INSERT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
		this.auditInsertSubjectStmt = db.prepare('INSERT INTO audit_subjects (seq, contact_key, salt) VALUES (?, ?, ?)');
		this.auditMoveHeadStmt = db.prepare('UPDATE audit_head SET seq = ?, hash = ?, mac = ? WHERE id = 1');
		this.auditAllStmt = db.prepare(`SELECT ${AUDIT_VERIFY_COLUMNS} FROM ${AUDIT_FROM} ORDER BY a.seq`);
		this.auditUnkeyedStmt = db.prepare(`SELECT ${AUDIT_VERIFY_COLUMNS} FROM ${AUDIT_FROM} WHERE a.seq < ? ORDER BY a.seq`);
		this.auditSealStmt = db.prepare('UPDATE audit_log SET seal = ? WHERE seq = ?');
		const auditList = (filter: string) =>
			db.prepare(`SELECT ${AUDIT_COLUMNS} FROM ${AUDIT_FROM} WHERE a.seq > ?${filter} ORDER BY a.seq LIMIT ?`);
		this.auditListStmts = {
			'': auditList(''),
			r: auditList(' AND a.request_id = ?'),
			s: auditList(' AND s.contact_key = ?'),
			rs: auditList(' AND a.request_id = ? AND s.contact_key = ?'),
		};
		this.versionStmt = db.prepare(`SELECT MAX(version) AS version FROM ${MIGRATIONS_TABLE}`);
		this.counterRowStmt = db.prepare('SELECT value, expires_at FROM counters WHERE scope = ? AND key = ?');
		this.counterSetStmt = db.prepare('UPDATE counters SET value = ? WHERE scope = ? AND key = ?');
		// A missing or expired counter starts afresh: value, contact key and expiry all new.
		this.counterResetStmt = db.prepare(
			`INSERT INTO counters (scope, key, contact_key, value, expires_at) VALUES (?, ?, ?, ?, ?)
			 ON CONFLICT (scope, key) DO UPDATE SET contact_key = excluded.contact_key, value = excluded.value,
			 expires_at = excluded.expires_at`,
		);
		this.getCounterStmt = db.prepare('SELECT value FROM counters WHERE scope = ? AND key = ? AND expires_at > ?');
		this.listCountersStmt = db.prepare('SELECT scope, key, value, expires_at FROM counters WHERE contact_key = ? AND expires_at > ? ORDER BY scope, key LIMIT 1000');
		this.countRecordsStmt = db.prepare('SELECT COUNT(*) AS n FROM records WHERE scope = ? AND expires_at > ?');
		this.purgeStmts = EXPIRING_TABLES.map((t) => db.prepare(`DELETE FROM ${t} WHERE expires_at <= ?`));
		this.eraseStmts = CONTACT_TABLES.map((t) => db.prepare(`DELETE FROM ${t} WHERE contact_key = ?`));
		this.purgeTimer = new PurgeTimer(() => this.purgeExpired(), purgeIntervalOf(purge.purgeIntervalMs), purge.onPurgeError ?? logPurgeError);
	}

	/** Opens (creating file, parent folders and schema as needed) without any caching; see openStore. */
	static async open(
		config: SqliteStoreConfig,
		options: StoreOpenOptions & PurgeScheduleOptions = {},
		migrations: readonly Migration[] = MIGRATIONS,
	): Promise<SqliteStore> {
		if (typeof config.path !== 'string' || config.path.length === 0) {
			throw new TypeError('WhatsAuto store: SQLite path required');
		}
		const memory = config.path === ':memory:';
		const path = memory ? ':memory:' : resolve(config.path);
		if (!memory) {
			mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
			// Create the file owner-only before SQLite does (its WAL and SHM files copy these permissions).
			closeSync(openSync(path, 'a', 0o600));
		}
		const db = new DatabaseSync(path);
		try {
			db.exec(`PRAGMA busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
			if (!memory) {
				await retryWhileBusy(() => {
					const row = db.prepare('PRAGMA journal_mode = WAL').get() as { journal_mode?: string } | undefined;
					if (row?.journal_mode !== 'wal') throw new Error('WhatsAuto store: SQLite refused WAL mode');
				});
			}
			db.exec('PRAGMA synchronous = NORMAL');
			// Deleted rows are overwritten, not merely unlinked: an erased person's data must not stay readable in the file.
			db.exec('PRAGMA secure_delete = ON');
			await retryWhileBusy(() => migrateSqlite(db, migrations));
			return new SqliteStore(db, path, options.onClose, options);
		} catch (error) {
			db.close();
			throw error;
		}
	}

	async claim(scope: string, key: string, ttlMs: number): Promise<boolean> {
		this.assertOpen();
		assertKey('scope', scope);
		assertKey('key', key);
		const ttl = normaliseTtl(ttlMs);
		const now = Date.now();
		return this.claimStmt.get(scope, key, now + ttl, now) !== undefined;
	}

	async claimed(scope: string, keys: readonly string[]): Promise<boolean[]> {
		this.assertOpen();
		assertKey('scope', scope);
		for (const key of keys) assertKey('key', key);
		const now = Date.now();
		const stmt = this.db.prepare('SELECT 1 AS live FROM claims WHERE scope = ? AND key = ? AND expires_at > ?');
		return keys.map((key) => stmt.get(scope, key, now) !== undefined);
	}

	async releaseClaim(scope: string, key: string): Promise<boolean> {
		this.assertOpen();
		assertKey('scope', scope);
		assertKey('key', key);
		const row = this.releaseStmt.get(scope, key, Date.now()) as { live: number } | undefined;
		return Boolean(row?.live);
	}

	async putContent(entry: ContentEntry): Promise<void> {
		this.assertOpen();
		assertContentEntry(entry);
		this.putStmt.run(entry.ref, entry.contactKey, entry.data, entry.expiresAt.getTime());
	}

	async getContent(ref: string): Promise<ContentEntry | undefined> {
		this.assertOpen();
		assertKey('ref', ref);
		const row = this.getStmt.get(ref, Date.now()) as ContentRow | undefined;
		return row ? contentEntryOf(row) : undefined;
	}

	async listContent(contactKey: string): Promise<ContentEntry[]> {
		this.assertOpen();
		assertKey('contactKey', contactKey);
		return (this.listContentStmt.all(contactKey, Date.now()) as unknown as ContentRow[]).map(contentEntryOf);
	}

	async deleteContent(ref: string): Promise<boolean> {
		this.assertOpen();
		assertKey('ref', ref);
		const deleted = toCount(this.deleteStmt.run(ref).changes) > 0;
		if (deleted) this.contentDeleted = true;
		return deleted;
	}

	async putRecord(record: RecordInput): Promise<void> {
		this.assertOpen();
		const r = prepareRecord(record);
		this.putRecordStmt.run(r.scope, r.key, r.contactKey, r.json, Date.now(), r.expiresAt, r.state, r.dueAt);
	}

	async getRecord<T = unknown>(scope: string, key: string): Promise<StoredRecord<T> | undefined> {
		this.assertOpen();
		assertKey('scope', scope);
		assertKey('key', key);
		const row = this.getRecordStmt.get(scope, key, Date.now()) as RecordRow | undefined;
		return row ? toStoredRecord<T>(row) : undefined;
	}

	async deleteRecord(scope: string, key: string): Promise<boolean> {
		this.assertOpen();
		assertKey('scope', scope);
		assertKey('key', key);
		return toCount(this.deleteRecordStmt.run(scope, key).changes) > 0;
	}

	async listRecords<T = unknown>(scope: string, options?: ListRecordsOptions): Promise<StoredRecord<T>[]> {
		this.assertOpen();
		assertKey('scope', scope);
		const { contactKey, limit } = normaliseListOptions(options);
		const now = Date.now();
		const rows = (
			contactKey === undefined
				? this.listRecordsStmt.all(scope, now, limit)
				: this.listContactRecordsStmt.all(scope, contactKey, now, limit)
		) as unknown as RecordRow[];
		return rows.map((row) => toStoredRecord<T>(row));
	}

	async listRecordsByState<T = unknown>(scope: string, options: ListRecordsByStateOptions): Promise<RecordPage<T>> {
		this.assertOpen();
		assertKey('scope', scope);
		const { states, dueBy, after, limit } = normaliseStateListOptions(options);
		const rows = this.listByStateStmt.all(scope, JSON.stringify(states), Date.now(), dueBy, after.dueAt, after.key, limit);
		return recordPageOf<T>(rows as unknown as Array<RecordRow & { sort_due: number }>, limit);
	}

	async eraseContact(contactKey: string): Promise<number> {
		this.assertOpen();
		assertKey('contactKey', contactKey);
		const erased = this.inTransaction(() =>
			this.eraseStmts.reduce((n, stmt) => n + toCount(stmt.run(contactKey).changes), 0),
		);
		// The WAL still holds the pages as they were before the erasure: fold it into the file and empty it.
		if (erased > 0) this.db.prepare('PRAGMA wal_checkpoint(TRUNCATE)').get();
		return erased;
	}

	async rekeyContact(from: string, to: string, key: Buffer): Promise<number> {
		this.assertOpen();
		assertKey('from', from);
		assertKey('to', to);
		assertAuditKey(key);
		if (from === to) return 0;
		const scopes = JSON.stringify(PERSON_KEYED_SCOPES);
		const inScopes = 'scope IN (SELECT value FROM json_each(?))';
		const db = this.db;
		return this.inTransaction(() => {
			const now = Date.now();
			// Person-keyed records: an expired one under `to` makes way; an unexpired one stays and `from`'s goes.
			db.prepare(`DELETE FROM records WHERE ${inScopes} AND key = ? AND expires_at <= ?`).run(scopes, to, now);
			db.prepare(
				`DELETE FROM records WHERE ${inScopes} AND key = ? AND EXISTS (SELECT 1 FROM records t WHERE t.scope = records.scope AND t.key = ?)`,
			).run(scopes, from, to);
			let moved = toCount(
				db
					.prepare(`UPDATE records SET key = ?, contact_key = CASE WHEN contact_key = ? THEN ? ELSE contact_key END WHERE ${inScopes} AND key = ?`)
					.run(to, from, to, scopes, from).changes,
			);
			// A value that names its person at the top (`subject`: privacy requests) names the new id.
			db.prepare(
				`UPDATE records SET value = json_set(value, '$.subject', ?) WHERE contact_key = ? AND json_valid(value)
				 AND json_type(value) = 'object' AND json_extract(value, '$.subject') = ?`,
			).run(to, from, from);
			moved += toCount(db.prepare('UPDATE records SET contact_key = ? WHERE contact_key = ?').run(to, from).changes);
			moved += toCount(db.prepare('UPDATE content SET contact_key = ? WHERE contact_key = ?').run(to, from).changes);
			moved += toCount(db.prepare('UPDATE inbox SET contact_key = ? WHERE contact_key = ?').run(to, from).changes);
			moved += toCount(db.prepare('UPDATE counters SET contact_key = ? WHERE contact_key = ?').run(to, from).changes);
			// Audit entries: re-filed under `to`, each with its MAC; entries from before the log was keyed are sealed first.
			const subjects = db
				.prepare('SELECT s.seq AS seq, a.hash AS hash FROM audit_subjects s LEFT JOIN audit_log a ON a.seq = s.seq WHERE s.contact_key = ?')
				.all(from) as Array<{ seq: number; hash: string | null }>;
			if (subjects.length > 0) {
				const head = this.auditHeadStmt.get() as AuditHeadRow | undefined;
				if (head && needsSeals(head)) this.sealUnkeyed(head, key);
				const refile = db.prepare('UPDATE audit_subjects SET contact_key = ?, refiled = ? WHERE seq = ?');
				for (const { seq, hash } of subjects) moved += toCount(refile.run(to, auditRefileMac(key, Number(seq), hash ?? '', to), seq).changes);
			}
			return moved;
		});
	}

	async purgeExpired(): Promise<number> {
		this.assertOpen();
		const now = Date.now();
		const counts = this.inTransaction(() => this.purgeStmts.map((stmt) => toCount(stmt.run(now).changes)));
		// secure_delete zeroed the content in the new page images, but the WAL still holds the old ones (and
		// their ciphertext): fold it into the file and empty it, as an erasure does — also for content this
		// process deleted since (once answered).
		if (counts[CONTENT_TABLE_INDEX] > 0 || this.contentDeleted) {
			this.contentDeleted = false;
			this.db.prepare('PRAGMA wal_checkpoint(TRUNCATE)').get();
		}
		return counts.reduce((a, b) => a + b, 0);
	}

	async appendAudit(input: AuditEntryInput, key: Buffer): Promise<AuditEntry> {
		this.assertOpen();
		assertAuditKey(key);
		const e = prepareAuditEntry(input);
		// BEGIN IMMEDIATE takes the write lock first: every process appends after the last entry committed.
		return this.inTransaction(() => {
			const head = this.auditHeadStmt.get() as AuditHeadRow | undefined;
			if (!head) throw new Error('WhatsAuto store: the head of the audit log is missing');
			if (needsSeals(head)) this.sealUnkeyed(head, key);
			const next = this.auditNextSeqStmt.get() as { seq: number | null };
			const { entry, values, subject } = chainAuditEntry(e, toCount(next.seq) + 1, new Date(Date.now()), head.hash, key);
			this.auditInsertStmt.run(...values);
			if (subject) this.auditInsertSubjectStmt.run(...subject);
			this.auditMoveHeadStmt.run(entry.seq, entry.hash, nextHeadMac(key, head, entry.seq, entry.hash));
			return entry;
		});
	}

	/** The first keyed append seals the entries written before the log was keyed, if they verify as they are. */
	private sealUnkeyed(head: AuditHeadRow, key: Buffer): void {
		const sealer = new UnkeyedSealer(head, key);
		for (const row of this.auditUnkeyedStmt.iterate(Number(head.keyed_from)) as Iterable<AuditVerifyRow>) {
			if (!sealer.add(row)) break;
		}
		for (const [seal, seq] of sealer.result() ?? []) this.auditSealStmt.run(seal, seq);
	}

	async listAudit(options?: ListAuditOptions): Promise<AuditEntry[]> {
		this.assertOpen();
		const { requestId, subject, afterSeq, limit } = normaliseAuditListOptions(options);
		const filters = [...(requestId === undefined ? [] : [requestId]), ...(subject === undefined ? [] : [subject])];
		const key = `${requestId === undefined ? '' : 'r'}${subject === undefined ? '' : 's'}` as '' | 'r' | 's' | 'rs';
		const rows = this.auditListStmts[key].all(afterSeq, ...filters, limit) as unknown as AuditRow[];
		return rows.map(toAuditEntry);
	}

	async verifyAuditChain(key: Buffer): Promise<AuditChainVerification> {
		this.assertOpen();
		assertAuditKey(key);
		// One read transaction: the head and every row from the same snapshot, whatever other processes append.
		this.db.exec('BEGIN');
		try {
			const verifier = new AuditChainVerifier(this.auditHeadStmt.get() as AuditHeadRow | undefined, key);
			for (const row of this.auditAllStmt.iterate() as Iterable<AuditVerifyRow>) {
				if (!verifier.add(row)) break;
			}
			this.db.exec('COMMIT');
			return verifier.result();
		} catch (error) {
			rollbackQuietly(this.db);
			throw error;
		}
	}

	async admitInbox(scope: string, ttlMs: number, entries: readonly InboxAdmission[]): Promise<boolean[]> {
		this.assertOpen();
		assertKey('scope', scope);
		const ttl = normaliseTtl(ttlMs);
		for (const entry of entries) assertKey('claimKey', entry.claimKey);
		const insert = this.db.prepare(
			`INSERT INTO inbox (id, gate, contact_key, sent_at, received_at, data, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)
			 ON CONFLICT (id) DO NOTHING`,
		);
		return this.inTransaction(() => {
			const now = Date.now();
			return entries.map(({ claimKey, row }, index) => {
				const won = this.claimStmt.get(scope, claimKey, now + ttl, now) !== undefined;
				// a millisecond apart in the order given, the last now: messages sent within the same second keep their order
				if (won && row) insert.run(row.id, row.gate, row.contactKey, row.sentAt, now - (entries.length - 1 - index), row.data, row.expiresAt.getTime());
				return won;
			});
		});
	}

	async withdrawInbox(scope: string, ids: readonly string[]): Promise<number> {
		this.assertOpen();
		assertKey('scope', scope);
		const del = this.db.prepare('DELETE FROM inbox WHERE id = ?');
		return this.inTransaction(() =>
			ids.reduce((n, id) => {
				this.releaseStmt.get(scope, id, Date.now());
				return n + toCount(del.run(id).changes);
			}, 0),
		);
	}

	async leaseTurns(gate: string, options: LeaseTurnsOptions): Promise<InboxTurn[]> {
		this.assertOpen();
		assertKey('gate', gate);
		const o = normaliseLeaseOptions(options);
		const db = this.db;
		// Most rounds find nothing: a plain read says so without taking the write lock webhooks need.
		const any = db.prepare(`SELECT 1 FROM inbox WHERE gate = ? AND ${inboxWaiting('?')} LIMIT 1`).get(gate, Date.now(), Date.now());
		if (!any) return [];
		return this.inTransaction(() => {
			const now = Date.now();
			const contacts = db
				.prepare(
					`SELECT contact_key, MIN(received_at) AS first_at FROM inbox
					 WHERE gate = ? AND ${inboxWaiting('?')} AND sent_at >= ?
					 AND contact_key NOT IN (SELECT contact_key FROM inbox WHERE gate = ? AND state = 'leased' AND lease_until > ?)
					 GROUP BY contact_key HAVING MAX(received_at) <= ? OR MIN(received_at) <= ?
					 ORDER BY first_at, contact_key LIMIT ?`,
				)
				.all(gate, now, now, o.sentBefore, gate, now, now - o.debounceMs, now - o.capMs, o.limit) as Array<{ contact_key: string }>;
			const pick = db.prepare(
				`SELECT id FROM inbox WHERE gate = ? AND contact_key = ? AND ${inboxWaiting('?')} AND sent_at >= ?
				 ORDER BY sent_at, received_at, id LIMIT ?`,
			);
			const lease = db.prepare(
				`UPDATE inbox SET state = 'leased', lease_id = ?, lease_until = ? WHERE id IN (SELECT value FROM json_each(?))
				 RETURNING ${INBOX_COLUMNS}`,
			);
			const leased: InboxLeasedRow[] = [];
			contacts.forEach(({ contact_key }, i) => {
				const ids = (pick.all(gate, contact_key, now, now, o.sentBefore, o.maxMessages) as Array<{ id: string }>).map((r) => r.id);
				leased.push(...(lease.all(`${o.leaseId}:${i}`, now + o.leaseMs, JSON.stringify(ids)) as unknown as InboxLeasedRow[]));
			});
			return turnsOf(leased);
		});
	}

	async settleTurn(leaseId: string, outcome: 'done' | 'failed', maxAttempts = 3): Promise<number> {
		this.assertOpen();
		assertKey('leaseId', leaseId);
		if (outcome === 'done') return toCount(this.db.prepare("DELETE FROM inbox WHERE lease_id = ? AND state = 'leased'").run(leaseId).changes);
		return toCount(
			this.db
				.prepare(
					`UPDATE inbox SET attempts = attempts + 1, lease_id = NULL, lease_until = 0,
					 state = CASE WHEN attempts + 1 >= ? THEN 'failed' ELSE 'pending' END,
					 data = CASE WHEN attempts + 1 >= ? THEN NULL ELSE data END
					 WHERE lease_id = ? AND state = 'leased'`,
				)
				.run(maxAttempts, maxAttempts, leaseId).changes,
		);
	}

	async renewTurns(leaseIds: readonly string[], leaseMs: number): Promise<number> {
		this.assertOpen();
		if (leaseIds.length === 0) return 0;
		const stmt = this.db.prepare(`UPDATE inbox SET lease_until = ? WHERE lease_id IN (SELECT value FROM json_each(?)) AND state = 'leased'`);
		return toCount(stmt.run(Date.now() + normaliseTtl(leaseMs), JSON.stringify(leaseIds)).changes);
	}

	async expireInbox(gate: string, sentBefore: number): Promise<InboxSummary[]> {
		this.assertOpen();
		assertKey('gate', gate);
		const now = Date.now();
		const rows = this.db
			.prepare(
				`UPDATE inbox SET state = 'expired', data = NULL, lease_id = NULL, lease_until = 0
				 WHERE gate = ? AND ${inboxWaiting('?')} AND sent_at < ? RETURNING id, contact_key, sent_at, received_at`,
			)
			.all(gate, now, now, sentBefore) as unknown as Parameters<typeof inboxSummaryOf>[0][];
		return rows.map(inboxSummaryOf).sort((a, b) => a.sentAt - b.sentAt || a.id.localeCompare(b.id));
	}

	async inboxCounts(gate: string): Promise<Record<string, number>> {
		this.assertOpen();
		assertKey('gate', gate);
		const rows = this.db.prepare('SELECT state, COUNT(*) AS n FROM inbox WHERE gate = ? GROUP BY state').all(gate) as Array<{ state: string; n: number }>;
		return Object.fromEntries(rows.map((r) => [r.state, toCount(r.n)]));
	}

	async addToCounter(input: CounterInput): Promise<CounterResult> {
		this.assertOpen();
		const c = prepareCounter(input);
		// BEGIN IMMEDIATE takes the write lock before the read: every process reads the value the last add
		// committed, checks `below` against it and writes before anyone else reads.
		return this.inTransaction(() => {
			const now = Date.now();
			const row = this.counterRowStmt.get(c.scope, c.key) as { value: number; expires_at: number } | undefined;
			const live = row !== undefined && Number(row.expires_at) > now;
			const before = live ? Number(row.value) : 0;
			const added = c.below === undefined || before < c.below;
			const value = added ? before + c.amount : before;
			if (!Number.isSafeInteger(value)) throw new RangeError('WhatsAuto store: a counter must stay a safe integer');
			if (!live) this.counterResetStmt.run(c.scope, c.key, c.contactKey, value, c.expiresAt);
			else if (value !== before) this.counterSetStmt.run(value, c.scope, c.key);
			return { added, value };
		});
	}

	async getCounter(scope: string, key: string): Promise<number> {
		this.assertOpen();
		assertKey('scope', scope);
		assertKey('key', key);
		const row = this.getCounterStmt.get(scope, key, Date.now()) as { value: number } | undefined;
		return toCount(row?.value);
	}

	async listCounters(contactKey: string): Promise<StoredCounter[]> {
		this.assertOpen();
		assertKey('contactKey', contactKey);
		const rows = this.listCountersStmt.all(contactKey, Date.now()) as Array<{ scope: string; key: string; value: number; expires_at: number }>;
		return rows.map((row) => ({ scope: row.scope, key: row.key, value: Number(row.value), expiresAt: new Date(Number(row.expires_at)) }));
	}

	async countRecords(scope: string): Promise<number> {
		this.assertOpen();
		assertKey('scope', scope);
		const row = this.countRecordsStmt.get(scope, Date.now()) as { n: number } | undefined;
		return toCount(row?.n);
	}

	async schemaVersion(): Promise<number> {
		this.assertOpen();
		const row = this.versionStmt.get() as { version: number | null } | undefined;
		return toCount(row?.version);
	}

	async close(): Promise<void> {
		if (this.closed) return;
		this.closed = true;
		this.purgeTimer.stop();
		try {
			this.db.close();
		} finally {
			this.onClose?.();
		}
	}

	private inTransaction<T>(fn: () => T): T {
		this.db.exec('BEGIN IMMEDIATE');
		try {
			const result = fn();
			this.db.exec('COMMIT');
			return result;
		} catch (error) {
			rollbackQuietly(this.db);
			throw error;
		}
	}

	private assertOpen(): void {
		if (this.closed) throw new Error(CLOSED_MESSAGE);
	}
}

/** Applies pending migrations under one write lock (BEGIN IMMEDIATE): concurrent openers serialise. */
function migrateSqlite(db: DatabaseSync, migrations: readonly Migration[]): void {
	db.exec('BEGIN IMMEDIATE');
	try {
		db.exec(
			`CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (
				version INTEGER NOT NULL PRIMARY KEY,
				name TEXT NOT NULL,
				applied_at INTEGER NOT NULL
			)`,
		);
		const row = db.prepare(`SELECT MAX(version) AS version FROM ${MIGRATIONS_TABLE}`).get() as
			| { version: number | null }
			| undefined;
		const current = toCount(row?.version);
		const record = db.prepare(`INSERT INTO ${MIGRATIONS_TABLE} (version, name, applied_at) VALUES (?, ?, ?)`);
		for (const migration of migrations) {
			if (migration.version <= current) continue;
			for (const statement of migration.sqlite) db.exec(statement);
			record.run(migration.version, migration.name, Date.now());
		}
		db.exec('COMMIT');
	} catch (error) {
		rollbackQuietly(db);
		throw error;
	}
}

/** Rolls back if a transaction is open (no error when none is: `isTransaction` is newer than Node 22.13). */
function rollbackQuietly(db: DatabaseSync): void {
	try {
		db.exec('ROLLBACK');
	} catch {
		// no transaction was open
	}
}

function isBusy(error: unknown): boolean {
	const e = error as { errcode?: number; message?: string };
	// SQLITE_BUSY = 5, SQLITE_LOCKED = 6; extended codes keep the primary code in the low byte.
	if (typeof e?.errcode === 'number' && [5, 6].includes(e.errcode & 0xff)) return true;
	return typeof e?.message === 'string' && /database (table )?is locked|busy/i.test(e.message);
}

/** Runs `fn`, retrying (bounded) while SQLite reports the database busy or locked. */
async function retryWhileBusy(fn: () => void): Promise<void> {
	const deadline = Date.now() + OPEN_RETRY_MS;
	for (let attempt = 0; ; attempt++) {
		try {
			fn();
			return;
		} catch (error) {
			if (!isBusy(error) || Date.now() >= deadline) throw error;
			await sleep(Math.min(10 + attempt * 10, 100));
		}
	}
}

