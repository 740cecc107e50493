import { isIPv4, isIPv6 } from 'node:net';

/** `::ffff:1.2.3.4` → `1.2.3.4`; other addresses unchanged. */
const unmapped = (address: string) => (/^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(address) ? address.slice(7) : address);

/**
 * Whether a socket's peer address is this machine's loopback (127.0.0.0/8, ::1, or 127.x mapped
 * into IPv6). Decided on the socket's address only: X-Forwarded-For is written by the client.
 */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const plain = unmapped(address);
  if (isIPv4(plain)) return plain.split('.', 1)[0] === '127';
  return isIPv6(plain) && expandIPv6(plain).every((group, i) => (i < 7 ? group === 0 : group === 1));
}

/** The eight 16-bit groups of an IPv6 address (`::` expanded). */
function expandIPv6(address: string): number[] {
  const [head = '', tail] = address.split('::', 2);
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((group) => Number.parseInt(group, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/**
 * The unit a per-client limit counts: an IPv4 address, or an IPv6 /64 (one host usually holds a
 * whole /64, so counting single IPv6 addresses would give it 2^64 budgets).
 */
export function clientBucket(address: string | undefined): string {
  if (!address) return 'unknown';
  const plain = unmapped(address);
  if (!isIPv6(plain) || plain.includes('.')) return plain;
  return `${expandIPv6(plain)
    .slice(0, 4)
    .map((group) => group.toString(16))
    .join(':')}::/64`;
}
