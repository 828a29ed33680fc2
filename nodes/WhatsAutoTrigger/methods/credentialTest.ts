export { whatsAutoMetaApiTest, whatsAutoStoreApiTest } from '../../shared/methods/credentialTest';
