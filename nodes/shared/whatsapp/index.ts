export * from './types';
export { DeliveryRejectedError, parseDelivery, type ParseOptions } from './delivery';
export { isInboundMessage, isMediaMessage, mediaOf } from './message';
export { isMessageEcho, isStandby, isStatusUpdate, isUnknownField, isUserPreferencesUpdate, isValueError } from './events';
