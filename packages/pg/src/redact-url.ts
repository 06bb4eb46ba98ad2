/**
 * Connection URLs for logs and error messages: the password is removed, both
 * from the user-info part (`postgres://user:secret@host/db`) and from query
 * parameters (`?password=...`, `?sslpassword=...`). Works on text alone, so a URL
 * that does not parse is still cleaned rather than echoed.
 */
const SECRET_PARAMS = new Set(['password', 'sslpassword']);
const KEY_VALUE_PASSWORD = /\b(password|sslpassword)\s*=\s*('(?:[^'\\]|\\.)*'|\S+)/gi;

export function redactUrl(url: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url);
  // libpq's key=value form ("host=db password=...") or a socket path.
  if (!scheme) return url.replace(KEY_VALUE_PASSWORD, '$1=');

  const rest = url.slice(scheme[0].length);
  const queryAt = firstIndexOf(rest, '?', '#');
  const beforeQuery = rest.slice(0, queryAt);
  const query = rest.slice(queryAt);
  // The LAST '@' ends the user-info: an unescaped '@' or '/' inside a password must
  // not leave half of it behind. Over-redacting a strange path is the safe error.
  const at = beforeQuery.lastIndexOf('@');
  let authority = beforeQuery;
  if (at >= 0) {
    const userInfo = beforeQuery.slice(0, at);
    const colon = userInfo.indexOf(':');
    const user = colon >= 0 ? userInfo.slice(0, colon) : userInfo;
    authority = `${user}@${beforeQuery.slice(at + 1)}`;
  }
  return scheme[0] + authority + redactQuery(query);
}

function firstIndexOf(text: string, ...chars: string[]): number {
  let first = text.length;
  for (const ch of chars) {
    const index = text.indexOf(ch);
    if (index >= 0 && index < first) first = index;
  }
  return first;
}

function redactQuery(query: string): string {
  if (!query.startsWith('?')) return query;
  const hashAt = query.indexOf('#');
  const params = (hashAt >= 0 ? query.slice(1, hashAt) : query.slice(1)).split('&');
  const kept = params.filter((param) => !SECRET_PARAMS.has(paramName(param)));
  const fragment = hashAt >= 0 ? query.slice(hashAt) : '';
  return (kept.length > 0 ? `?${kept.join('&')}` : '') + fragment;
}

export function paramName(param: string): string {
  const eq = param.indexOf('=');
  const raw = eq >= 0 ? param.slice(0, eq) : param;
  try {
    return decodeURIComponent(raw.replaceAll('+', ' ')).toLowerCase();
  } catch {
    return raw.toLowerCase();
  }
}
