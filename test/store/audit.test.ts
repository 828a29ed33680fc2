import { createHash, createHmac } from 'node:crypto';

import {
	AUDIT_GENESIS_HASH,
	auditHash,
	auditHeadMac,
	type AuditHashInput,
	canonicalJson,
	type KeyedAuditHashInput,
	MAX_AUDIT_LIST_LIMIT,
	normaliseAuditListOptions,
	subjectCommitment,
	unkeyedAuditHash,
} from '../../nodes/shared/store/audit';

const KEY = Buffer.alloc(32, 1);

const entry: AuditHashInput = {
	seq: 7,
	at: new Date(1_700_000_000_123),
	requestId: 'req-1',
	subject: 'pseudonym',
	actor: 'operator',
	action: 'transition',
	fromState: 'received',
	toState: 'verifying',
	detail: { b: [2, { y: 1, x: 0 }], a: 'one' },
};
const { subject: _subject, ...withoutSubject } = entry;
const keyed: KeyedAuditHashInput = { ...withoutSubject, subjectCommit: subjectCommitment(KEY, 'salt', 'pseudonym') };

describe('audit hash (keyed)', () => {
	it('is HMAC-SHA256 under the audit key over one documented canonical serialisation, with a commitment for the subject', () => {
		const commit = createHmac('sha256', KEY).update(JSON.stringify(['whatsauto.audit.subject.v2', 'salt', 'pseudonym'])).digest('hex');
		expect(keyed.subjectCommit).toBe(commit);
		const canonical = JSON.stringify([
			'whatsauto.audit.v2',
			AUDIT_GENESIS_HASH,
			7,
			1_700_000_000_123,
			'req-1',
			commit,
			'operator',
			'transition',
			'received',
			'verifying',
			'{"a":"one","b":[2,{"x":0,"y":1}]}',
		]);
		expect(auditHash(KEY, AUDIT_GENESIS_HASH, keyed)).toBe(createHmac('sha256', KEY).update(canonical).digest('hex'));
		expect(AUDIT_GENESIS_HASH).toBe('0'.repeat(64));
	});

	it('cannot be recomputed without the key: another key, or plain SHA-256, gives another hash', () => {
		const hash = auditHash(KEY, 'p', keyed);
		expect(auditHash(Buffer.alloc(32, 2), 'p', keyed)).not.toBe(hash);
		expect(unkeyedAuditHash('p', entry)).not.toBe(hash);
	});

	it('does not depend on the order of detail keys, at any depth', () => {
		const reordered = { ...keyed, detail: { a: 'one', b: [2, { x: 0, y: 1 }] } };
		expect(auditHash(KEY, 'p', reordered)).toBe(auditHash(KEY, 'p', keyed));
		expect(canonicalJson({ z: { d: 1, c: [{ f: 1, e: 2 }] }, a: null })).toBe('{"a":null,"z":{"c":[{"e":2,"f":1}],"d":1}}');
	});

	it('changes with every field, the subject commitment and the previous hash', () => {
		const base = auditHash(KEY, 'p', keyed);
		const variants: KeyedAuditHashInput[] = [
			{ ...keyed, seq: 8 },
			{ ...keyed, at: new Date(keyed.at.getTime() + 1) },
			{ ...keyed, requestId: 'req-2' },
			{ ...keyed, subjectCommit: subjectCommitment(KEY, 'salt', 'another') },
			{ ...keyed, subjectCommit: '' },
			{ ...keyed, actor: 'system' },
			{ ...keyed, action: 'erased' },
			{ ...keyed, fromState: '' },
			{ ...keyed, toState: 'closed' },
			{ ...keyed, detail: { ...keyed.detail, a: 'two' } },
			{ ...keyed, detail: {} },
		];
		const hashes = new Set([base, auditHash(KEY, 'q', keyed), ...variants.map((v) => auditHash(KEY, 'p', v))]);
		expect(hashes.size).toBe(variants.length + 2);
	});

	it('cannot be fooled by moving text between fields', () => {
		expect(auditHash(KEY, 'p', { ...keyed, actor: 'ab', action: 'c' })).not.toBe(auditHash(KEY, 'p', { ...keyed, actor: 'a', action: 'bc' }));
	});

	it('commits to the subject with a salt: no subject commits to nothing, another salt gives another commitment', () => {
		expect(subjectCommitment(KEY, '', '')).toBe('');
		expect(subjectCommitment(KEY, 'salt-2', 'pseudonym')).not.toBe(keyed.subjectCommit);
		expect(subjectCommitment(Buffer.alloc(32, 2), 'salt', 'pseudonym')).not.toBe(keyed.subjectCommit);
	});

	it('seals the head: its seq, hash and where keyed entries start', () => {
		const mac = auditHeadMac(KEY, { seq: 3, hash: 'h', keyedFrom: 1 });
		expect(mac).toMatch(/^[0-9a-f]{64}$/);
		expect(new Set([mac, auditHeadMac(KEY, { seq: 2, hash: 'h', keyedFrom: 1 }), auditHeadMac(KEY, { seq: 3, hash: 'g', keyedFrom: 1 }), auditHeadMac(KEY, { seq: 3, hash: 'h', keyedFrom: 4 })]).size).toBe(4);
	});

	it('refuses a key that is not 32 bytes', () => {
		for (const key of [Buffer.alloc(16), 'k'.repeat(32), undefined]) {
			expect(() => auditHash(key as Buffer, 'p', keyed)).toThrow(/32-byte/);
		}
	});
});

describe('audit hash (unkeyed, before schema version 5)', () => {
	it('is SHA-256 over one documented canonical serialisation', () => {
		const canonical = JSON.stringify([
			'whatsauto.audit.v1',
			AUDIT_GENESIS_HASH,
			7,
			1_700_000_000_123,
			'req-1',
			'pseudonym',
			'operator',
			'transition',
			'received',
			'verifying',
			'{"a":"one","b":[2,{"x":0,"y":1}]}',
		]);
		expect(unkeyedAuditHash(AUDIT_GENESIS_HASH, entry)).toBe(createHash('sha256').update(canonical).digest('hex'));
	});
});

describe('audit list options', () => {
	it('defaults and caps', () => {
		expect(normaliseAuditListOptions(undefined)).toEqual({ afterSeq: 0, limit: 1000 });
		expect(normaliseAuditListOptions({ limit: 50_000 }).limit).toBe(MAX_AUDIT_LIST_LIMIT);
		expect(normaliseAuditListOptions({ requestId: 'r', subject: 's', afterSeq: 5, limit: 3 })).toEqual({
			requestId: 'r',
			subject: 's',
			afterSeq: 5,
			limit: 3,
		});
	});
});
