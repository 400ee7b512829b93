// Thread: main. The schema registry's errors, with Confluent Schema Registry's error codes and
// HTTP statuses, so clients that branch on `error_code` (both serializer libraries do) behave
// as against Confluent's server. The JSON body is `{"error_code": 40401, "message": "..."}`.

/** Confluent's codes: the first three digits are the HTTP status. */
export const RegistryErrorCode = {
  SUBJECT_NOT_FOUND: 40401,
  VERSION_NOT_FOUND: 40402,
  SCHEMA_NOT_FOUND: 40403,
  SUBJECT_SOFT_DELETED: 40404,
  SUBJECT_NOT_SOFT_DELETED: 40405,
  SCHEMA_VERSION_SOFT_DELETED: 40406,
  SCHEMA_VERSION_NOT_SOFT_DELETED: 40407,
  SUBJECT_LEVEL_COMPATIBILITY_NOT_CONFIGURED: 40408,
  SUBJECT_LEVEL_MODE_NOT_CONFIGURED: 40409,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  INCOMPATIBLE_SCHEMA: 409,
  UNSUPPORTED_MEDIA_TYPE: 415,
  INVALID_SCHEMA: 42201,
  INVALID_VERSION: 42202,
  INVALID_COMPATIBILITY_LEVEL: 42203,
  INVALID_MODE: 42204,
  OPERATION_NOT_PERMITTED: 42205,
  REFERENCE_EXISTS: 42206,
  /** Not Confluent's: a well-formed request the registry refuses (bad JSON body, too large). */
  BAD_REQUEST: 400,
  REQUEST_TOO_LARGE: 413,
  STORE_ERROR: 50001,
  OPERATION_TIMEOUT: 50002,
  REQUEST_FORWARDING_FAILED: 50003,
} as const;

export class RegistryError extends Error {
  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'RegistryError';
  }

  /** HTTP status: the code's first three digits (Confluent's rule), or the code itself. */
  get status(): number {
    return this.errorCode >= 1000 ? Math.floor(this.errorCode / 100) : this.errorCode;
  }

  toJSON(): { error_code: number; message: string } {
    return { error_code: this.errorCode, message: this.message };
  }
}

export const subjectNotFound = (subject: string) => new RegistryError(RegistryErrorCode.SUBJECT_NOT_FOUND, `Subject '${subject}' not found.`);
export const versionNotFound = (subject: string, version: number | string) =>
  new RegistryError(RegistryErrorCode.VERSION_NOT_FOUND, `Version ${version} not found for subject '${subject}'.`);
export const schemaNotFound = (what = 'Schema') => new RegistryError(RegistryErrorCode.SCHEMA_NOT_FOUND, `${what} not found`);
export const invalidSchema = (message: string) => new RegistryError(RegistryErrorCode.INVALID_SCHEMA, `Invalid schema: ${message}`);
export const invalidVersion = (version: string) =>
  new RegistryError(RegistryErrorCode.INVALID_VERSION, `The specified version '${version}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string "latest"`);
