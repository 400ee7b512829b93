// Thread: main. SaslHandshake (key 17), versions 0–1.
// Picks the SASL mechanism of the exchange that follows (src/security/connection-auth.ts) and
// answers the enabled mechanisms (sasl.enabled.mechanisms). v0 (KIP-43): the tokens then come
// as bare frames; v1: in SaslAuthenticate requests. On a listener without SASL the answer is
// ILLEGAL_SASL_STATE, as Kafka's. An unknown mechanism answers UNSUPPORTED_SASL_MECHANISM and
// closes the connection after the answer; so does a handshake in the middle of an exchange
// (ILLEGAL_SASL_STATE). On an authenticated connection it starts a re-authentication (KIP-368:
// v1 and the same mechanism only).
import { ErrorCode } from '../../protocol/generated/error-codes.js';
import { decodeSaslHandshakeRequest, encodeSaslHandshakeResponse, saslHandshakeApi, type SaslHandshakeRequest, type SaslHandshakeResponse } from '../../protocol/generated/messages/17-sasl-handshake.js';
import { defineHandler } from './types.js';

export const saslHandshakeHandler = defineHandler<SaslHandshakeRequest, SaslHandshakeResponse>({
  apiKey: saslHandshakeApi.apiKey,
  name: 'SaslHandshake',
  minVersion: 0,
  maxVersion: 1,
  decodeRequest: decodeSaslHandshakeRequest,
  encodeResponse: encodeSaslHandshakeResponse,
  handle(ctx, req) {
    const auth = ctx.conn.auth;
    if (auth === undefined) return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] };
    const result = auth.handshake(req.mechanism, ctx.apiVersion);
    if (result.errorCode !== ErrorCode.NONE) ctx.closeAfterResponse = `SaslHandshake refused (error ${result.errorCode})`;
    return result;
  },
});
