/** One line for a failure: the message, its stable `code` when it has one, and the cause's message. */
export function describeFailure(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  const cause = err.cause instanceof Error && !err.message.includes(err.cause.message) ? ` (${err.cause.message})` : '';
  return `${err.message}${cause}${typeof code === 'string' ? ` [${code}]` : ''}`;
}
