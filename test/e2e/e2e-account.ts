/** The WhatsApp account the single-workflow e2e tests give the fake Graph API, and a bounded pause. */
export const E2E_ACCOUNT = {
	accessToken: 'EAAG-e2e-test-token',
	appSecret: 'e2e_app_secret',
	phoneNumberId: '106540352242922',
	displayPhoneNumber: '15550783881',
	businessAccountId: '102290129340398',
};
export const E2E_VERIFY_TOKEN = 'e2e-verify-token';

export const settle = async (ms: number) => await new Promise((resolve) => setTimeout(resolve, ms));
