// Thread: vitest test worker. SaslHandshake and SaslAuthenticate over a RawKafkaConnection,
// for tests that need exact SASL error codes, session lifetimes or hostile tokens.
import {
  decodeSaslAuthenticateResponse,
  decodeSaslHandshakeResponse,
  encodeSaslAuthenticateRequest,
  encodeSaslHandshakeRequest,
  saslAuthenticateApi,
  saslHandshakeApi,
  type SaslAuthenticateResponse,
  type SaslHandshakeResponse,
} from '../../src/protocol/generated/messages/index.js';
import type { RawKafkaConnection } from './raw-kafka.js';

export function saslHandshake(c: RawKafkaConnection, mechanism: string, version = 1): Promise<SaslHandshakeResponse> {
  return c.request(saslHandshakeApi.apiKey, version, encodeSaslHandshakeRequest, decodeSaslHandshakeResponse, { mechanism });
}

export function saslAuthenticate(c: RawKafkaConnection, authBytes: Buffer, version = 2): Promise<SaslAuthenticateResponse> {
  return c.request(saslAuthenticateApi.apiKey, version, encodeSaslAuthenticateRequest, decodeSaslAuthenticateResponse, { authBytes });
}

/** Handshake v1 + PLAIN SaslAuthenticate; resolves the SaslAuthenticate response. */
export async function plainLogin(c: RawKafkaConnection, user: string, password: string, version = 2): Promise<SaslAuthenticateResponse> {
  const hs = await saslHandshake(c, 'PLAIN');
  if (hs.errorCode !== 0) throw new Error(`SaslHandshake answered ${hs.errorCode}`);
  return saslAuthenticate(c, Buffer.from(`\u0000${user}\u0000${password}`), version);
}
