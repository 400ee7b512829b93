// Thread: main. Who a connection is, as Kafka names it: `User:ANONYMOUS` before (or without)
// authentication, `User:<name>` after SASL, and for a client certificate (mTLS) the subject's
// distinguished name in RFC 2253 order — most specific first, `User:CN=alice,OU=eng,O=Acme`
// — which is what Kafka's default `ssl.principal.mapping.rules` (DEFAULT) yields. ACLs match
// these strings.
import { X509Certificate } from 'node:crypto';

export const ANONYMOUS_PRINCIPAL = 'User:ANONYMOUS';

export function userPrincipal(name: string): string {
  return `User:${name}`;
}

/**
 * The RFC 2253 subject of a DER certificate. Node prints the subject one RDN per line in
 * certificate order (least specific first) with RFC 2253 escaping already applied; RFC 2253
 * lists them the other way round.
 */
export function certificateSubject(raw: Buffer): string {
  return new X509Certificate(raw).subject.split('\n').filter((rdn) => rdn !== '').reverse().join(',');
}

export function certificatePrincipal(raw: Buffer): string {
  return `User:${certificateSubject(raw)}`;
}
