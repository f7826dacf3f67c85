/** A request header by name, case-insensitively (API Gateway passes them as the client sent them). */
export function headerValue(headers: Readonly<Record<string, string | undefined>> | null | undefined, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(headers ?? {})) if (k.toLowerCase() === wanted) return v ?? undefined;
  return undefined;
}
