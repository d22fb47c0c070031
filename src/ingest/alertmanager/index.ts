export { createAlertmanagerHandler, TtlSet } from './handler.js';
export type { AlertEvidence, AlertmanagerHandlerDeps } from './handler.js';
