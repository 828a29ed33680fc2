import { createHash } from 'node:crypto';

import {
	AUDIT_GENESIS_HASH,
	auditHash,
	type AuditHashInput,
	canonicalJson,
	MAX_AUDIT_LIST_LIMIT,
	normaliseAuditListOptions,
} from '../../nodes/shared/store/audit';

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

describe('audit hash', () => {
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
		expect(auditHash(AUDIT_GENESIS_HASH, entry)).toBe(createHash('sha256').update(canonical).digest('hex'));
		expect(AUDIT_GENESIS_HASH).toBe('0'.repeat(64));
	});

	it('does not depend on the order of detail keys, at any depth', () => {
		const reordered = { ...entry, detail: { a: 'one', b: [2, { x: 0, y: 1 }] } };
		expect(auditHash('p', reordered)).toBe(auditHash('p', entry));
		expect(canonicalJson({ z: { d: 1, c: [{ f: 1, e: 2 }] }, a: null })).toBe('{"a":null,"z":{"c":[{"e":2,"f":1}],"d":1}}');
	});

	it('changes with every field and with the previous hash', () => {
		const base = auditHash('p', entry);
		const variants: AuditHashInput[] = [
			{ ...entry, seq: 8 },
			{ ...entry, at: new Date(entry.at.getTime() + 1) },
			{ ...entry, requestId: 'req-2' },
			{ ...entry, subject: '' },
			{ ...entry, actor: 'system' },
			{ ...entry, action: 'erased' },
			{ ...entry, fromState: '' },
			{ ...entry, toState: 'closed' },
			{ ...entry, detail: { ...entry.detail, a: 'two' } },
			{ ...entry, detail: {} },
		];
		const hashes = new Set([base, auditHash('q', entry), ...variants.map((v) => auditHash('p', v))]);
		expect(hashes.size).toBe(variants.length + 2);
	});

	it('cannot be fooled by moving text between fields', () => {
		const a = { ...entry, actor: 'ab', action: 'c' };
		const b = { ...entry, actor: 'a', action: 'bc' };
		expect(auditHash('p', a)).not.toBe(auditHash('p', b));
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
