/** Things started by the composition root, stopped in reverse order. */
export type Stack = Array<{ name: string; stop: () => Promise<void> }>;
