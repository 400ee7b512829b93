// Thread: main. ApiVersions (key 18), versions 0–4.
// Answers the versions every registered handler declares. A request newer than we serve
// gets UNSUPPORTED_VERSION with the ranges, encoded as v0 (done in the dispatcher).
// v3+ carries the client's software name/version (logged at debug level).
import { apiVersionsApi, decodeApiVersionsRequest, encodeApiVersionsResponse, type ApiVersionsRequest, type ApiVersionsResponse } from '../../protocol/generated/messages/18-api-versions.js';
import { ErrorCode } from '../../protocol/generated/error-codes.js';
import { defineHandler, type AnyApiHandler } from './types.js';

let advertised: readonly AnyApiHandler[] = [];

/** Called once by the handler registry: the versions ApiVersions advertises. */
export function setAdvertisedHandlers(list: readonly AnyApiHandler[]): void {
  advertised = list;
}

function apiKeys(): ApiVersionsResponse['apiKeys'] {
  return advertised
    .map((h) => ({ apiKey: h.apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion }))
    .sort((a, b) => a.apiKey - b.apiKey);
}

function response(errorCode: number): ApiVersionsResponse {
  return {
    errorCode,
    apiKeys: apiKeys(),
    throttleTimeMs: 0,
    supportedFeatures: [],
    finalizedFeaturesEpoch: -1n,
    finalizedFeatures: [],
    zkMigrationReady: false,
  };
}

export function unsupportedApiVersionsResponse(): ApiVersionsResponse {
  return response(ErrorCode.UNSUPPORTED_VERSION);
}

export const apiVersionsHandler = defineHandler<ApiVersionsRequest, ApiVersionsResponse>({
  apiKey: apiVersionsApi.apiKey,
  name: 'ApiVersions',
  minVersion: 0,
  maxVersion: 4,
  decodeRequest: decodeApiVersionsRequest,
  encodeResponse: encodeApiVersionsResponse,
  handle(ctx, req) {
    if (ctx.apiVersion >= 3) {
      ctx.broker.logger.debug({ conn: ctx.conn.id, client: req.clientSoftwareName, clientVersion: req.clientSoftwareVersion }, 'client software');
      const valid = /^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/;
      if (!valid.test(req.clientSoftwareName) || !valid.test(req.clientSoftwareVersion)) return response(ErrorCode.INVALID_REQUEST);
    }
    return response(ErrorCode.NONE);
  },
});
