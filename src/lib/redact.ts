/** A URL with its password replaced; unparsable input is not echoed at all (it may be a secret). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return '<unparsable url>';
  }
}
