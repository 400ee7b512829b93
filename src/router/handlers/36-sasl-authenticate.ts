// Thread: main. SaslAuthenticate (key 36), versions 0–2.
// One SASL token of the exchange SaslHandshake v1 started (src/security/connection-auth.ts):
// PLAIN in one step, SCRAM in two. Success answers the server's token and, v1+, the session
// lifetime (connections.max.reauth.ms, 0 = none; KIP-368). A failure answers
// SASL_AUTHENTICATION_FAILED with a generic message after connection.failed.authentication.delay.ms
// and closes the connection after the answer. Without a SASL listener or a handshake first:
// ILLEGAL_SASL_STATE.
import { ErrorCode } from '../../protocol/generated/error-codes.js';
import {
  decodeSaslAuthenticateRequest,
  encodeSaslAuthenticateResponse,
  saslAuthenticateApi,
  type SaslAuthenticateRequest,
  type SaslAuthenticateResponse,
} from '../../protocol/generated/messages/36-sasl-authenticate.js';
import { defineHandler } from './types.js';

const EMPTY = Buffer.alloc(0);

export const saslAuthenticateHandler = defineHandler<SaslAuthenticateRequest, SaslAuthenticateResponse>({
  apiKey: saslAuthenticateApi.apiKey,
  name: 'SaslAuthenticate',
  minVersion: 0,
  maxVersion: 2,
  decodeRequest: decodeSaslAuthenticateRequest,
  encodeResponse: encodeSaslAuthenticateResponse,
  async handle(ctx, req) {
    const auth = ctx.conn.auth;
    if (auth === undefined || auth.rawTokens) {
      ctx.closeAfterResponse = 'SaslAuthenticate outside a SASL exchange';
      return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, errorMessage: 'Unexpected SaslAuthenticate request', authBytes: EMPTY, sessionLifetimeMs: 0n };
    }
    const result = await auth.authenticate(req.authBytes);
    if ('reply' in result) return { errorCode: ErrorCode.NONE, errorMessage: null, authBytes: result.reply, sessionLifetimeMs: BigInt(result.sessionLifetimeMs) };
    if (result.close) ctx.closeAfterResponse = 'SASL authentication failed';
    return { errorCode: result.errorCode, errorMessage: result.errorMessage, authBytes: EMPTY, sessionLifetimeMs: 0n };
  },
});
