export { WhatsAutoMetaApi } from './credentials/WhatsAutoMetaApi.credentials';
export { WhatsAutoStoreApi } from './credentials/WhatsAutoStoreApi.credentials';
export { WhatsAutoTrigger } from './nodes/WhatsAutoTrigger/WhatsAutoTrigger.node';
export { WhatsAutoOpenAiApi } from './credentials/WhatsAutoOpenAiApi.credentials';
export { WhatsAutoReply } from './nodes/WhatsAutoReply/WhatsAutoReply.node';
export { WhatsAutoPrivacy } from './nodes/WhatsAutoPrivacy/WhatsAutoPrivacy.node';
