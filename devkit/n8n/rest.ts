/**
 * n8n's internal REST API (`/rest/...`, what the editor uses) with an owner session, over real HTTP.
 *
 *   await setupOwner(n8n.baseUrl, OWNER);              // first run: creates the owner account
 *   const rest = await login(n8n.baseUrl, OWNER);      // cookie session, as the editor holds it
 *   const { status, data } = await rest.request('GET', '/rest/workflows');
 */

export interface OwnerAccount {
	email: string;
	/** n8n wants 8-64 characters with a digit and an upper-case letter. */
	password: string;
	firstName?: string;
	lastName?: string;
}

export interface RestResponse<T = unknown> {
	status: number;
	/** The response's `data` member (n8n wraps every REST answer in `{ data }`), else the parsed body. */
	data: T;
	text: string;
}

export interface RestSession {
	baseUrl: string;
	request<T = unknown>(method: string, path: string, body?: unknown): Promise<RestResponse<T>>;
}

/**
 * n8n 2.x ties the auth cookie to the `browser-id` header the editor sends with every request, so a session
 * sends the same one throughout.
 */
const BROWSER_ID = 'whatsauto-devkit';

async function call(baseUrl: string, method: string, path: string, body: unknown, cookie?: string): Promise<RestResponse & { setCookie: string[] }> {
	const res = await fetch(`${baseUrl}${path}`, {
		method,
		headers: {
			'browser-id': BROWSER_ID,
			...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
			...(cookie ? { Cookie: cookie } : {}),
		},
		body: body === undefined ? undefined : JSON.stringify(body),
		signal: AbortSignal.timeout(30_000),
	});
	const text = await res.text();
	let data: unknown = text;
	try {
		const parsed = JSON.parse(text) as unknown;
		data = parsed && typeof parsed === 'object' && 'data' in parsed ? (parsed as { data: unknown }).data : parsed;
	} catch {
		/* not JSON */
	}
	return { status: res.status, data, text, setCookie: res.headers.getSetCookie() };
}

/**
 * Creates the owner account (POST /rest/owner/setup). `created: false` when an owner exists already; throws on
 * any other failure.
 */
export async function setupOwner(baseUrl: string, owner: OwnerAccount): Promise<{ created: boolean }> {
	const res = await call(baseUrl, 'POST', '/rest/owner/setup', {
		email: owner.email,
		firstName: owner.firstName ?? 'WhatsAuto',
		lastName: owner.lastName ?? 'Owner',
		password: owner.password,
	});
	if (res.status === 200) return { created: true };
	if (/already setup/i.test(res.text)) return { created: false };
	throw new Error(`n8n owner setup failed: HTTP ${res.status} ${res.text.slice(0, 300)}`);
}

/** Logs in (POST /rest/login) and returns a session that sends the auth cookie. Throws when the login fails. */
export async function login(baseUrl: string, account: Pick<OwnerAccount, 'email' | 'password'>): Promise<RestSession> {
	const res = await call(baseUrl, 'POST', '/rest/login', { emailOrLdapLoginId: account.email, password: account.password });
	if (res.status !== 200) throw new Error(`n8n login as ${account.email} failed: HTTP ${res.status} ${res.text.slice(0, 300)}`);
	const cookie = res.setCookie.map((c) => c.split(';')[0]).join('; ');
	if (!cookie) throw new Error('n8n login set no cookie');
	return {
		baseUrl,
		async request<T>(method: string, path: string, body?: unknown) {
			const { status, data, text } = await call(baseUrl, method, path, body, cookie);
			return { status, data: data as T, text };
		},
	};
}
