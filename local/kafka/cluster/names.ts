export const CONSUMER_OFFSETS = '__consumer_offsets';
export const TRANSACTION_STATE = '__transaction_state';
