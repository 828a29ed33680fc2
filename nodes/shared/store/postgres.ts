import { createHash } from 'node:crypto';
import { Pool, type PoolClient } from 'pg';

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
	toBuffer,
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
	PostgresStoreConfig,
	RecordInput,
	RecordPage,
	StoreBackend,
	StoreOpenOptions,
	StoredRecord,
	WhatsAutoStore,
} from './types';

export const PG_POOL_MAX = 4;
export const PG_CONNECTION_TIMEOUT_MS = 10000;
export const PG_STATEMENT_TIMEOUT_MS = 30000;
export const PG_APPLICATION_NAME = 'whatsauto';

/**
 * The database server's clock in epoch milliseconds. Expiry is judged by one clock for every worker,
 * whatever their own clocks say.
 */
const NOW_MS = '(floor(extract(epoch from now()) * 1000))::bigint';

/**
 * The server's clock at this moment, not at the start of the transaction (`now()`): an audit append takes
 * its time after waiting for the log's head, so entries are stamped in the order they were appended.
 */
const CLOCK_MS = '(floor(extract(epoch from clock_timestamp()) * 1000))::bigint';

/** How many audit rows verifyAuditChain reads per query. */
const AUDIT_VERIFY_PAGE = 1000;

/** Where `content` is in EXPIRING_TABLES (and so in the purge's statements). */
const CONTENT_TABLE_INDEX = EXPIRING_TABLES.indexOf('content');

/** {@link AUDIT_FROM} with its tables in the quoted schema `s`. */
function schemaFrom(s: string): string {
	return AUDIT_FROM.replace('audit_log a', `${s}.audit_log a`).replace('audit_subjects s', `${s}.audit_subjects s`);
}

/** `name` as a safely quoted PostgreSQL identifier; rejects names PostgreSQL could not hold. */
export function quoteIdent(name: string): string {
	if (typeof name !== 'string' || name.length === 0 || name.includes('\0') || Buffer.byteLength(name) > 63) {
		throw new TypeError('WhatsAuto store: PostgreSQL schema must be a non-empty name of at most 63 bytes');
	}
	return `"${name.replace(/"/g, '""')}"`;
}

/** A stable advisory-lock key (signed int8, as text) per schema and gate for serialising inbox leases. */
export function inboxLockKey(schema: string, gate: string): string {
	return createHash('sha256').update(`whatsauto:inbox:${schema}:${gate}`).digest().readBigInt64BE(0).toString();
}

/** A stable advisory-lock key (signed int8, as text) per schema for serialising migrations. */
export function migrationLockKey(schema: string): string {
	return createHash('sha256').update(`whatsauto:migrations:${schema}`).digest().readBigInt64BE(0).toString();
}

/**
 * The store in PostgreSQL (n8n queue mode: every main, webhook and worker process shares it). A small
 * pool per process; claims are one `INSERT … ON CONFLICT … DO UPDATE … WHERE … RETURNING`, so exactly one
 * caller wins across all workers.
 */
export class PostgresStore implements WhatsAutoStore {
	readonly backend: StoreBackend = 'postgres';

	private closed = false;

	private readonly sql: {
		claim: string;
		release: string;
		put: string;
		get: string;
		delete: string;
		listContent: string;
		putRecord: string;
		getRecord: string;
		deleteRecord: string;
		listRecords: string;
		listContactRecords: string;
		listByState: string;
		auditTable: string;
		auditLockHead: string;
		auditNext: string;
		auditInsert: string;
		auditMoveHead: string;
		auditInsertSubject: string;
		auditUnkeyedPage: string;
		auditSeal: string;
		auditHead: string;
		auditPage: string;
		auditList: (requestId: boolean, subject: boolean) => string;
		version: string;
		counterLock: string;
		counterSet: string;
		counterReset: string;
		getCounter: string;
		countRecords: string;
		listCounters: string;
		purge: string[];
		vacuumContent: string;
		contentDeadRows: string;
		erase: string[];
	};

	/** Purges expired rows every minute or so while the store is open (see PurgeTimer). */
	private readonly purgeTimer: PurgeTimer;

	private constructor(
		private readonly pool: Pool,
		readonly schema: string,
		private readonly onClose?: () => void,
		purge: PurgeScheduleOptions = {},
	) {
		const s = quoteIdent(schema);
		const recordColumns = 'scope, key, contact_key, value, created_at, expires_at';
		this.sql = {
			claim: `INSERT INTO ${s}.claims AS c (scope, key, expires_at) VALUES ($1, $2, ${NOW_MS} + $3::bigint)
				ON CONFLICT (scope, key) DO UPDATE SET expires_at = excluded.expires_at
				WHERE c.expires_at <= ${NOW_MS}
				RETURNING 1 AS won`,
			release: `DELETE FROM ${s}.claims WHERE scope = $1 AND key = $2 RETURNING expires_at > ${NOW_MS} AS live`,
			put: `INSERT INTO ${s}.content (ref, contact_key, data, expires_at) VALUES ($1, $2, $3, $4::bigint)
				ON CONFLICT (ref) DO UPDATE SET contact_key = excluded.contact_key, data = excluded.data,
				expires_at = excluded.expires_at`,
			get: `SELECT ref, contact_key, data, expires_at FROM ${s}.content WHERE ref = $1 AND expires_at > ${NOW_MS}`,
			delete: `DELETE FROM ${s}.content WHERE ref = $1`,
			listContent: `SELECT ref, contact_key, data, expires_at FROM ${s}.content
				WHERE contact_key = $1 AND expires_at > ${NOW_MS} ORDER BY expires_at, ref LIMIT 1000`,
			// excluded.created_at is now: a record replaced after it expired counts as new.
			putRecord: `INSERT INTO ${s}.records AS r (${recordColumns}, state, due_at)
				VALUES ($1, $2, $3, $4, ${NOW_MS}, $5::bigint, $6, $7::bigint)
				ON CONFLICT (scope, key) DO UPDATE SET contact_key = excluded.contact_key, value = excluded.value,
				expires_at = excluded.expires_at, state = excluded.state, due_at = excluded.due_at,
				created_at = CASE WHEN r.expires_at > excluded.created_at THEN r.created_at ELSE excluded.created_at END`,
			getRecord: `SELECT ${recordColumns} FROM ${s}.records
				WHERE scope = $1 AND key = $2 AND expires_at > ${NOW_MS}`,
			deleteRecord: `DELETE FROM ${s}.records WHERE scope = $1 AND key = $2`,
			listRecords: `SELECT ${recordColumns} FROM ${s}.records WHERE scope = $1 AND expires_at > ${NOW_MS}
				ORDER BY created_at DESC, key ASC LIMIT $2`,
			listContactRecords: `SELECT ${recordColumns} FROM ${s}.records
				WHERE scope = $1 AND contact_key = $2 AND expires_at > ${NOW_MS}
				ORDER BY created_at DESC, key ASC LIMIT $3`,
			// Records in some states, soonest due first (undated last), after a cursor: the index on (scope, state,
			// due_at, key) finds them, however many records in other states the scope holds.
			listByState: `SELECT ${recordColumns}, COALESCE(due_at, ${NO_DUE_DATE}) AS sort_due FROM ${s}.records
				WHERE scope = $1 AND state = ANY($2::text[]) AND expires_at > ${NOW_MS}
				AND COALESCE(due_at, ${NO_DUE_DATE}) <= $3::bigint AND (COALESCE(due_at, ${NO_DUE_DATE}), key) > ($4::bigint, $5)
				ORDER BY sort_due, key LIMIT $6`,
			// Row lock on the one head row: appends from every worker queue here, and each reads the head as
			// the previous append committed it (READ COMMITTED re-reads a locked row once it is released).
			auditTable: `${s}.audit_log`,
			auditLockHead: `SELECT seq, hash, keyed_from, mac FROM ${s}.audit_head WHERE id = 1 FOR UPDATE`,
			auditNext: `SELECT nextval(pg_get_serial_sequence($1, 'seq')) AS seq, ${CLOCK_MS} AS at`,
			auditInsert: `INSERT INTO ${s}.audit_log (${AUDIT_INSERT_COLUMNS})
				VALUES ($1::bigint, $2::bigint, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			auditInsertSubject: `INSERT INTO ${s}.audit_subjects (seq, contact_key, salt) VALUES ($1::bigint, $2, $3)`,
			auditMoveHead: `UPDATE ${s}.audit_head SET seq = $1::bigint, hash = $2, mac = $3 WHERE id = 1`,
			auditUnkeyedPage: `SELECT ${AUDIT_VERIFY_COLUMNS} FROM ${schemaFrom(s)}
				WHERE a.seq > $1::bigint AND a.seq < $2::bigint ORDER BY a.seq LIMIT ${AUDIT_VERIFY_PAGE}`,
			auditSeal: `UPDATE ${s}.audit_log SET seal = $1 WHERE seq = $2::bigint`,
			auditHead: `SELECT seq, hash, keyed_from, mac FROM ${s}.audit_head WHERE id = 1`,
			auditPage: `SELECT ${AUDIT_VERIFY_COLUMNS} FROM ${schemaFrom(s)} WHERE a.seq > $1::bigint ORDER BY a.seq LIMIT ${AUDIT_VERIFY_PAGE}`,
			auditList: (requestId, subject) => {
				let n = 1;
				const where = [
					`a.seq > $${n++}::bigint`,
					...(requestId ? [`a.request_id = $${n++}`] : []),
					...(subject ? [`s.contact_key = $${n++}`] : []),
				];
				return `SELECT ${AUDIT_COLUMNS} FROM ${schemaFrom(s)} WHERE ${where.join(' AND ')} ORDER BY a.seq LIMIT $${n}`;
			},
			version: `SELECT MAX(version) AS version FROM ${s}.${MIGRATIONS_TABLE}`,
			// Creates the counter (at 0, with this call's contact key and expiry) or, when it exists, locks it (the
			// no-op DO UPDATE locks the row, waiting for any other holder, and returns its latest committed version).
			// Either way the row is this transaction's until it ends. Expiry by the clock once the row is ours.
			counterLock: `INSERT INTO ${s}.counters AS c (scope, key, contact_key, value, expires_at) VALUES ($1, $2, $3, 0, $4::bigint)
				ON CONFLICT (scope, key) DO UPDATE SET value = c.value
				RETURNING value, expires_at > ${CLOCK_MS} AS live`,
			counterSet: `UPDATE ${s}.counters SET value = $3::bigint WHERE scope = $1 AND key = $2`,
			// A missing or expired counter starts afresh: value, contact key and expiry all new.
			counterReset: `UPDATE ${s}.counters SET value = $3::bigint, contact_key = $4, expires_at = $5::bigint WHERE scope = $1 AND key = $2`,
			getCounter: `SELECT value FROM ${s}.counters WHERE scope = $1 AND key = $2 AND expires_at > ${NOW_MS}`,
			listCounters: `SELECT scope, key, value, expires_at FROM ${s}.counters WHERE contact_key = $1 AND expires_at > ${NOW_MS} ORDER BY scope, key LIMIT 1000`,
			countRecords: `SELECT COUNT(*) AS n FROM ${s}.records WHERE scope = $1 AND expires_at > ${NOW_MS}`,
			purge: EXPIRING_TABLES.map((t) => `DELETE FROM ${s}.${t} WHERE expires_at <= ${NOW_MS}`),
			// SKIP_LOCKED: when another process is vacuuming it already, this one does not wait.
			vacuumContent: `VACUUM (SKIP_LOCKED) ${s}.content`,
			// The statistics' count of dead rows (approximate, a few seconds behind): rows deleted since the last VACUUM.
			contentDeadRows: 'SELECT COALESCE((SELECT n_dead_tup FROM pg_stat_user_tables WHERE relid = to_regclass($1)), 0) AS n',
			erase: CONTACT_TABLES.map((t) => `DELETE FROM ${s}.${t} WHERE contact_key = $1`),
		};
		this.purgeTimer = new PurgeTimer(() => this.purgeExpired(), purgeIntervalOf(purge.purgeIntervalMs), purge.onPurgeError ?? logPurgeError);
	}

	/** Opens a pool and applies pending migrations, without any caching; see openStore. */
	static async open(
		config: PostgresStoreConfig,
		options: StoreOpenOptions & PurgeScheduleOptions = {},
		migrations: readonly Migration[] = MIGRATIONS,
	): Promise<PostgresStore> {
		quoteIdent(config.schema);
		const pool = new Pool({
			host: config.host,
			port: config.port,
			database: config.database,
			user: config.user,
			password: config.password,
			ssl: config.ssl ? { rejectUnauthorized: true } : false,
			max: PG_POOL_MAX,
			connectionTimeoutMillis: PG_CONNECTION_TIMEOUT_MS,
			idleTimeoutMillis: 30000,
			statement_timeout: PG_STATEMENT_TIMEOUT_MS,
			application_name: PG_APPLICATION_NAME,
			allowExitOnIdle: true,
		});
		// An idle client losing its connection (server restart, network) must not crash n8n; the pool
		// discards it and the next query connects afresh.
		pool.on('error', () => undefined);
		try {
			await migratePostgres(pool, config.schema, migrations);
		} catch (error) {
			await pool.end().catch(() => undefined);
			throw error;
		}
		return new PostgresStore(pool, config.schema, options.onClose, options);
	}

	async claim(scope: string, key: string, ttlMs: number): Promise<boolean> {
		this.assertOpen();
		assertKey('scope', scope);
		assertKey('key', key);
		const ttl = normaliseTtl(ttlMs);
		const result = await this.pool.query(this.sql.claim, [scope, key, ttl]);
		return (result.rowCount ?? 0) > 0;
	}

	async claimed(scope: string, keys: readonly string[]): Promise<boolean[]> {
		this.assertOpen();
		assertKey('scope', scope);
		for (const key of keys) assertKey('key', key);
		if (keys.length === 0) return [];
		const s = quoteIdent(this.schema);
		const result = await this.pool.query<{ key: string }>(
			`SELECT key FROM ${s}.claims WHERE scope = $1 AND key = ANY($2::text[]) AND expires_at > ${NOW_MS}`,
			[scope, [...keys]],
		);
		const live = new Set(result.rows.map((r) => r.key));
		return keys.map((key) => live.has(key));
	}

	async releaseClaim(scope: string, key: string): Promise<boolean> {
		this.assertOpen();
		assertKey('scope', scope);
		assertKey('key', key);
		const result = await this.pool.query<{ live: boolean }>(this.sql.release, [scope, key]);
		return result.rows[0]?.live === true;
	}

	async putContent(entry: ContentEntry): Promise<void> {
		this.assertOpen();
		assertContentEntry(entry);
		await this.pool.query(this.sql.put, [
			entry.ref,
			entry.contactKey,
			toBuffer(entry.data),
			entry.expiresAt.getTime(),
		]);
	}

	async getContent(ref: string): Promise<ContentEntry | undefined> {
		this.assertOpen();
		assertKey('ref', ref);
		const result = await this.pool.query<ContentRow>(this.sql.get, [ref]);
		const row = result.rows[0];
		return row ? contentEntryOf(row) : undefined;
	}

	async listContent(contactKey: string): Promise<ContentEntry[]> {
		this.assertOpen();
		assertKey('contactKey', contactKey);
		const result = await this.pool.query<ContentRow>(this.sql.listContent, [contactKey]);
		return result.rows.map(contentEntryOf);
	}

	async deleteContent(ref: string): Promise<boolean> {
		this.assertOpen();
		assertKey('ref', ref);
		const result = await this.pool.query(this.sql.delete, [ref]);
		return (result.rowCount ?? 0) > 0;
	}

	async putRecord(record: RecordInput): Promise<void> {
		this.assertOpen();
		const r = prepareRecord(record);
		await this.pool.query(this.sql.putRecord, [r.scope, r.key, r.contactKey, r.json, r.expiresAt, r.state, r.dueAt]);
	}

	async getRecord<T = unknown>(scope: string, key: string): Promise<StoredRecord<T> | undefined> {
		this.assertOpen();
		assertKey('scope', scope);
		assertKey('key', key);
		const result = await this.pool.query<RecordRow>(this.sql.getRecord, [scope, key]);
		const row = result.rows[0];
		return row ? toStoredRecord<T>(row) : undefined;
	}

	async deleteRecord(scope: string, key: string): Promise<boolean> {
		this.assertOpen();
		assertKey('scope', scope);
		assertKey('key', key);
		const result = await this.pool.query(this.sql.deleteRecord, [scope, key]);
		return (result.rowCount ?? 0) > 0;
	}

	async listRecords<T = unknown>(scope: string, options?: ListRecordsOptions): Promise<StoredRecord<T>[]> {
		this.assertOpen();
		assertKey('scope', scope);
		const { contactKey, limit } = normaliseListOptions(options);
		const result =
			contactKey === undefined
				? await this.pool.query<RecordRow>(this.sql.listRecords, [scope, limit])
				: await this.pool.query<RecordRow>(this.sql.listContactRecords, [scope, contactKey, limit]);
		return result.rows.map((row) => toStoredRecord<T>(row));
	}

	async listRecordsByState<T = unknown>(scope: string, options: ListRecordsByStateOptions): Promise<RecordPage<T>> {
		this.assertOpen();
		assertKey('scope', scope);
		const { states, dueBy, after, limit } = normaliseStateListOptions(options);
		const result = await this.pool.query<RecordRow & { sort_due: string }>(this.sql.listByState, [
			scope,
			states,
			dueBy,
			after.dueAt,
			after.key,
			limit,
		]);
		return recordPageOf<T>(result.rows, limit);
	}

	async eraseContact(contactKey: string): Promise<number> {
		this.assertOpen();
		assertKey('contactKey', contactKey);
		return this.inTransaction(async (client) => {
			let n = 0;
			for (const statement of this.sql.erase) n += (await client.query(statement, [contactKey])).rowCount ?? 0;
			return n;
		});
	}

	async rekeyContact(from: string, to: string, key: Buffer): Promise<number> {
		this.assertOpen();
		assertKey('from', from);
		assertKey('to', to);
		assertAuditKey(key);
		if (from === to) return 0;
		const s = quoteIdent(this.schema);
		const scopes = [...PERSON_KEYED_SCOPES];
		return this.inTransaction(async (client) => {
			// The head first: appends (and other moves) wait, so the subjects moved here are every one there is.
			const head = (await client.query<AuditHeadRow>(this.sql.auditLockHead)).rows[0];
			// Person-keyed records: an expired one under `to` makes way; an unexpired one stays and `from`'s goes.
			await client.query(`DELETE FROM ${s}.records WHERE scope = ANY($1::text[]) AND key = $2 AND expires_at <= ${NOW_MS}`, [scopes, to]);
			await client.query(
				`DELETE FROM ${s}.records r WHERE r.scope = ANY($1::text[]) AND r.key = $2
				 AND EXISTS (SELECT 1 FROM ${s}.records t WHERE t.scope = r.scope AND t.key = $3)`,
				[scopes, from, to],
			);
			const count = async (sql: string, params: unknown[]) => (await client.query(sql, params)).rowCount ?? 0;
			let moved = await count(
				`UPDATE ${s}.records SET key = $1, contact_key = CASE WHEN contact_key = $2 THEN $1 ELSE contact_key END
				 WHERE scope = ANY($3::text[]) AND key = $2`,
				[to, from, scopes],
			);
			// A value that names its person at the top (`subject`: privacy requests) names the new id.
			await client.query(
				`UPDATE ${s}.records SET value = jsonb_set(value::jsonb, '{subject}', to_jsonb($1::text))::text
				 WHERE contact_key = $2 AND jsonb_typeof(value::jsonb) = 'object' AND value::jsonb ->> 'subject' = $2`,
				[to, from],
			);
			moved += await count(`UPDATE ${s}.records SET contact_key = $1 WHERE contact_key = $2`, [to, from]);
			moved += await count(`UPDATE ${s}.content SET contact_key = $1 WHERE contact_key = $2`, [to, from]);
			moved += await count(`UPDATE ${s}.inbox SET contact_key = $1 WHERE contact_key = $2`, [to, from]);
			moved += await count(`UPDATE ${s}.counters SET contact_key = $1 WHERE contact_key = $2`, [to, from]);
			// Audit entries: re-filed under `to`, each with its MAC; entries from before the log was keyed are sealed first.
			const { rows } = await client.query<{ seq: string; hash: string | null }>(
				`SELECT s.seq, a.hash FROM ${s}.audit_subjects s LEFT JOIN ${s}.audit_log a ON a.seq = s.seq WHERE s.contact_key = $1`,
				[from],
			);
			if (rows.length > 0 && head && needsSeals(head)) await this.sealUnkeyed(client, head, key);
			for (const { seq, hash } of rows) {
				moved += await count(`UPDATE ${s}.audit_subjects SET contact_key = $1, refiled = $2 WHERE seq = $3::bigint`, [
					to,
					auditRefileMac(key, Number(seq), hash ?? '', to),
					seq,
				]);
			}
			return moved;
		});
	}

	/**
	 * Deletes every expired row. A DELETE only marks a row dead: its bytes stay in the table's pages until VACUUM
	 * (autovacuum waits for 50 dead rows and 20 % of the table). So whenever the content table has dead rows —
	 * deleted by this purge, or since (content forgotten once answered, an erasure) — it is vacuumed, with its
	 * TOAST table, at once: the dead rows are gone from the pages' item lists and indexes, their space is free for
	 * new rows, and empty pages at the end of the table are cut off the file. (Bytes of a dead row may still sit in
	 * a page's free space until a new row overwrites them, and in the WAL: AES-256-GCM ciphertext whose key is not
	 * in the database.)
	 */
	async purgeExpired(): Promise<number> {
		this.assertOpen();
		let n = 0;
		let content = 0;
		for (const [i, statement] of this.sql.purge.entries()) {
			const deleted = (await this.pool.query(statement)).rowCount ?? 0;
			if (i === CONTENT_TABLE_INDEX) content = deleted;
			n += deleted;
		}
		if (content > 0 || (await this.contentDeadRows()) > 0) {
			try {
				await this.pool.query(this.sql.vacuumContent);
			} catch (error) {
				throw new Error(`WhatsAuto store: expired rows were deleted, but VACUUM of the content table failed: ${(error as Error).message}`, { cause: error });
			}
		}
		return n;
	}

	/** The content table's dead rows, as the statistics count them. */
	private async contentDeadRows(): Promise<number> {
		const result = await this.pool.query<{ n: string }>(this.sql.contentDeadRows, [`${quoteIdent(this.schema)}.content`]);
		return Number(result.rows[0]?.n ?? 0);
	}

	async appendAudit(input: AuditEntryInput, key: Buffer): Promise<AuditEntry> {
		this.assertOpen();
		assertAuditKey(key);
		const e = prepareAuditEntry(input);
		return this.inTransaction(async (client) => {
			const head = (await client.query<AuditHeadRow>(this.sql.auditLockHead)).rows[0];
			if (!head) throw new Error('WhatsAuto store: the head of the audit log is missing');
			if (needsSeals(head)) await this.sealUnkeyed(client, head, key);
			// Seq and time are taken only once the head is ours, so both follow the order of the chain.
			const next = (await client.query<{ seq: string; at: string }>(this.sql.auditNext, [this.sql.auditTable])).rows[0];
			const { entry, values, subject } = chainAuditEntry(e, Number(next.seq), new Date(Number(next.at)), head.hash, key);
			await client.query(this.sql.auditInsert, values);
			if (subject) await client.query(this.sql.auditInsertSubject, subject);
			await client.query(this.sql.auditMoveHead, [entry.seq, entry.hash, nextHeadMac(key, head, entry.seq, entry.hash)]);
			return entry;
		});
	}

	/** The first keyed append seals the entries written before the log was keyed, if they verify as they are. */
	private async sealUnkeyed(client: PoolClient, head: AuditHeadRow, key: Buffer): Promise<void> {
		const sealer = new UnkeyedSealer(head, key);
		let after = '0';
		for (;;) {
			const { rows } = await client.query<AuditVerifyRow>(this.sql.auditUnkeyedPage, [after, head.keyed_from]);
			if (!rows.every((row) => sealer.add(row)) || rows.length < AUDIT_VERIFY_PAGE) break;
			after = String(rows[rows.length - 1].seq);
		}
		for (const [seal, seq] of sealer.result() ?? []) await client.query(this.sql.auditSeal, [seal, seq]);
	}

	async listAudit(options?: ListAuditOptions): Promise<AuditEntry[]> {
		this.assertOpen();
		const { requestId, subject, afterSeq, limit } = normaliseAuditListOptions(options);
		const params: unknown[] = [afterSeq];
		if (requestId !== undefined) params.push(requestId);
		if (subject !== undefined) params.push(subject);
		params.push(limit);
		const sql = this.sql.auditList(requestId !== undefined, subject !== undefined);
		const result = await this.pool.query<AuditRow>(sql, params);
		return result.rows.map(toAuditEntry);
	}

	async verifyAuditChain(key: Buffer): Promise<AuditChainVerification> {
		this.assertOpen();
		assertAuditKey(key);
		// One snapshot for the head and every page, whatever other workers append meanwhile.
		return this.inTransaction(async (client) => {
			await client.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
			const verifier = new AuditChainVerifier((await client.query<AuditHeadRow>(this.sql.auditHead)).rows[0], key);
			let after = '0';
			for (;;) {
				const { rows } = await client.query<AuditVerifyRow>(this.sql.auditPage, [after]);
				for (const row of rows) {
					if (!verifier.add(row)) return verifier.result();
				}
				if (rows.length < AUDIT_VERIFY_PAGE) return verifier.result();
				after = String(rows[rows.length - 1].seq);
			}
		});
	}

	async admitInbox(scope: string, ttlMs: number, entries: readonly InboxAdmission[]): Promise<boolean[]> {
		this.assertOpen();
		assertKey('scope', scope);
		const ttl = normaliseTtl(ttlMs);
		for (const entry of entries) assertKey('claimKey', entry.claimKey);
		const s = quoteIdent(this.schema);
		return this.inTransaction(async (client) => {
			const won: boolean[] = [];
			for (const [index, { claimKey, row }] of entries.entries()) {
				const claimed = ((await client.query(this.sql.claim, [scope, claimKey, ttl])).rowCount ?? 0) > 0;
				if (claimed && row) {
					// a millisecond apart in the order given, the last now: messages sent within the same second keep their order
					await client.query(
						`INSERT INTO ${s}.inbox (id, gate, contact_key, sent_at, received_at, data, expires_at)
						 VALUES ($1, $2, $3, $4::bigint, ${NOW_MS} - $7::bigint, $5, $6::bigint) ON CONFLICT (id) DO NOTHING`,
						[row.id, row.gate, row.contactKey, row.sentAt, row.data, row.expiresAt.getTime(), entries.length - 1 - index],
					);
				}
				won.push(claimed);
			}
			return won;
		});
	}

	async withdrawInbox(scope: string, ids: readonly string[]): Promise<number> {
		this.assertOpen();
		assertKey('scope', scope);
		const s = quoteIdent(this.schema);
		return this.inTransaction(async (client) => {
			await client.query(`DELETE FROM ${s}.claims WHERE scope = $1 AND key = ANY($2::text[])`, [scope, ids]);
			return (await client.query(`DELETE FROM ${s}.inbox WHERE id = ANY($1::text[])`, [ids])).rowCount ?? 0;
		});
	}

	async leaseTurns(gate: string, options: LeaseTurnsOptions): Promise<InboxTurn[]> {
		this.assertOpen();
		assertKey('gate', gate);
		const o = normaliseLeaseOptions(options);
		const s = quoteIdent(this.schema);
		const waiting = inboxWaiting(NOW_MS);
		return this.inTransaction(async (client) => {
			// Leasers of one gate take turns (every process, every main): no two ever lease the same message.
			await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [inboxLockKey(this.schema, gate)]);
			const contacts = await client.query<{ contact_key: string }>(
				`SELECT contact_key, MIN(received_at) AS first_at FROM ${s}.inbox
				 WHERE gate = $1 AND ${waiting} AND sent_at >= $2::bigint
				 AND contact_key NOT IN (SELECT contact_key FROM ${s}.inbox WHERE gate = $1 AND state = 'leased' AND lease_until > ${NOW_MS})
				 GROUP BY contact_key HAVING MAX(received_at) <= ${NOW_MS} - $3::bigint OR MIN(received_at) <= ${NOW_MS} - $4::bigint
				 ORDER BY first_at, contact_key LIMIT $5`,
				[gate, o.sentBefore, o.debounceMs, o.capMs, o.limit],
			);
			const leased: InboxLeasedRow[] = [];
			for (const [i, { contact_key }] of contacts.rows.entries()) {
				const result = await client.query<InboxLeasedRow>(
					`UPDATE ${s}.inbox SET state = 'leased', lease_id = $1, lease_until = ${NOW_MS} + $2::bigint
					 WHERE id IN (SELECT id FROM ${s}.inbox WHERE gate = $3 AND contact_key = $4 AND ${waiting} AND sent_at >= $5::bigint
					   ORDER BY sent_at, received_at, id LIMIT $6)
					 RETURNING ${INBOX_COLUMNS}`,
					[`${o.leaseId}:${i}`, o.leaseMs, gate, contact_key, o.sentBefore, o.maxMessages],
				);
				leased.push(...result.rows);
			}
			return turnsOf(leased);
		});
	}

	async settleTurn(leaseId: string, outcome: 'done' | 'failed', maxAttempts = 3): Promise<number> {
		this.assertOpen();
		assertKey('leaseId', leaseId);
		const s = quoteIdent(this.schema);
		if (outcome === 'done') return (await this.pool.query(`DELETE FROM ${s}.inbox WHERE lease_id = $1 AND state = 'leased'`, [leaseId])).rowCount ?? 0;
		const result = await this.pool.query(
			`UPDATE ${s}.inbox SET attempts = attempts + 1, lease_id = NULL, lease_until = 0,
			 state = CASE WHEN attempts + 1 >= $1 THEN 'failed' ELSE 'pending' END,
			 data = CASE WHEN attempts + 1 >= $1 THEN NULL ELSE data END
			 WHERE lease_id = $2 AND state = 'leased'`,
			[maxAttempts, leaseId],
		);
		return result.rowCount ?? 0;
	}

	async renewTurns(leaseIds: readonly string[], leaseMs: number): Promise<number> {
		this.assertOpen();
		if (leaseIds.length === 0) return 0;
		const s = quoteIdent(this.schema);
		const result = await this.pool.query(
			`UPDATE ${s}.inbox SET lease_until = ${NOW_MS} + $1::bigint WHERE lease_id = ANY($2::text[]) AND state = 'leased'`,
			[normaliseTtl(leaseMs), leaseIds],
		);
		return result.rowCount ?? 0;
	}

	async expireInbox(gate: string, sentBefore: number): Promise<InboxSummary[]> {
		this.assertOpen();
		assertKey('gate', gate);
		const s = quoteIdent(this.schema);
		const result = await this.pool.query(
			`UPDATE ${s}.inbox SET state = 'expired', data = NULL, lease_id = NULL, lease_until = 0
			 WHERE gate = $1 AND ${inboxWaiting(NOW_MS)} AND sent_at < $2::bigint RETURNING id, contact_key, sent_at, received_at`,
			[gate, sentBefore],
		);
		return result.rows.map(inboxSummaryOf).sort((a, b) => a.sentAt - b.sentAt || a.id.localeCompare(b.id));
	}

	async inboxCounts(gate: string): Promise<Record<string, number>> {
		this.assertOpen();
		assertKey('gate', gate);
		const s = quoteIdent(this.schema);
		const result = await this.pool.query<{ state: string; n: string }>(`SELECT state, COUNT(*) AS n FROM ${s}.inbox WHERE gate = $1 GROUP BY state`, [gate]);
		return Object.fromEntries(result.rows.map((r) => [r.state, Number(r.n)]));
	}

	async addToCounter(input: CounterInput): Promise<CounterResult> {
		this.assertOpen();
		const c = prepareCounter(input);
		return this.inTransaction(async (client) => {
			// The row is locked from here to COMMIT: no other add, purge or erasure changes it in between, so
			// `below` is checked against the value every earlier add committed and this one's charge follows it.
			const params = [c.scope, c.key];
			const row = (await client.query<{ value: string; live: boolean }>(this.sql.counterLock, [...params, c.contactKey, c.expiresAt])).rows[0];
			if (!row) throw new Error('WhatsAuto store: counter row missing after upsert');
			const before = row.live ? Number(row.value) : 0;
			const added = c.below === undefined || before < c.below;
			const value = added ? before + c.amount : before;
			if (!Number.isSafeInteger(value)) throw new RangeError('WhatsAuto store: a counter must stay a safe integer');
			if (!row.live) await client.query(this.sql.counterReset, [...params, value, c.contactKey, c.expiresAt]);
			else if (value !== before) await client.query(this.sql.counterSet, [...params, value]);
			return { added, value };
		});
	}

	async getCounter(scope: string, key: string): Promise<number> {
		this.assertOpen();
		assertKey('scope', scope);
		assertKey('key', key);
		const result = await this.pool.query<{ value: string }>(this.sql.getCounter, [scope, key]);
		return Number(result.rows[0]?.value ?? 0);
	}

	async listCounters(contactKey: string): Promise<StoredCounter[]> {
		this.assertOpen();
		assertKey('contactKey', contactKey);
		const result = await this.pool.query<{ scope: string; key: string; value: string; expires_at: string }>(this.sql.listCounters, [contactKey]);
		return result.rows.map((row) => ({ scope: row.scope, key: row.key, value: Number(row.value), expiresAt: new Date(Number(row.expires_at)) }));
	}

	async countRecords(scope: string): Promise<number> {
		this.assertOpen();
		assertKey('scope', scope);
		const result = await this.pool.query<{ n: string }>(this.sql.countRecords, [scope]);
		return Number(result.rows[0]?.n ?? 0);
	}

	async schemaVersion(): Promise<number> {
		this.assertOpen();
		const result = await this.pool.query<{ version: number | null }>(this.sql.version);
		return toCount(result.rows[0]?.version);
	}

	async close(): Promise<void> {
		if (this.closed) return;
		this.closed = true;
		this.purgeTimer.stop();
		try {
			await this.pool.end();
		} finally {
			this.onClose?.();
		}
	}

	private async inTransaction<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
		return withTransaction(this.pool, fn);
	}

	private assertOpen(): void {
		if (this.closed) throw new Error(CLOSED_MESSAGE);
	}
}

async function withTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
	const client = await pool.connect();
	let broken: Error | undefined;
	try {
		await client.query('BEGIN');
		const result = await fn(client);
		await client.query('COMMIT');
		return result;
	} catch (error) {
		try {
			await client.query('ROLLBACK');
		} catch (rollbackError) {
			broken = rollbackError as Error; // the connection is unusable: destroy it rather than reuse it
		}
		throw error;
	} finally {
		client.release(broken);
	}
}

/**
 * Creates the schema if missing and applies pending migrations in one transaction holding a
 * transaction-scoped advisory lock, so concurrent openers of a fresh database serialise.
 */
async function migratePostgres(pool: Pool, schema: string, migrations: readonly Migration[]): Promise<void> {
	const s = quoteIdent(schema);
	await withTransaction(pool, async (client) => {
		await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [migrationLockKey(schema)]);
		// Checked rather than CREATE SCHEMA IF NOT EXISTS: that needs CREATE on the database even when the
		// schema already exists, which a least-privileged role may lack.
		const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
		if (!exists.rowCount) await client.query(`CREATE SCHEMA ${s}`);
		await client.query(
			`CREATE TABLE IF NOT EXISTS ${s}.${MIGRATIONS_TABLE} (
				version INTEGER NOT NULL PRIMARY KEY,
				name TEXT NOT NULL,
				applied_at BIGINT NOT NULL
			)`,
		);
		const current = await client.query<{ version: number | null }>(
			`SELECT MAX(version) AS version FROM ${s}.${MIGRATIONS_TABLE}`,
		);
		const applied = toCount(current.rows[0]?.version);
		for (const migration of migrations) {
			if (migration.version <= applied) continue;
			for (const statement of migration.postgres) await client.query(statement.split('{schema}').join(s));
			await client.query(
				`INSERT INTO ${s}.${MIGRATIONS_TABLE} (version, name, applied_at) VALUES ($1, $2, ${NOW_MS})`,
				[migration.version, migration.name],
			);
		}
	});
}

