/**
 * The tenant of everything written and read without a bearer token. A receiver without auth tokens stores every
 * row under it, and the commands that open a store directly (export, jobs) read it unless told otherwise, so the
 * zero-configuration path needs no tenant anywhere. It lives in src/ because both sides of the store use it and
 * imports run collector -> src.
 */
export const defaultTenant = 'default';
